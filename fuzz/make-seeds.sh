#!/usr/bin/env bash
# Fills OUT_DIR/<target>/ (default build-fuzz/seeds) with seed inputs for the fuzz targets: slices
# of the logs under corpora/, the shipped rules (whole and one rule per file), small archives
# of those logs, printk memory images built around the text of a real dump's log, and the head of
# a real flattened dump, and a small BTF pair (a kernel's, a module's on top). Real dumps
# (`make dumps`) are used when cached and skipped otherwise.
# Seeds are kept small (a few KiB to 64 KiB): big seeds make every fuzzing run slow.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/build-fuzz/seeds}
CACHE=${KTRIAGE_CACHE:-$HOME/.cache/ktriage}

# The newest complete dump set (the one tests/vmcore/dump_cache.h picks), or nothing.
DUMPS=""
if [ -d "$CACHE/dumps" ]; then
  DUMPS=$(ls -td "$CACHE"/dumps/*/DONE 2>/dev/null | head -1 | xargs -r dirname)
fi
[ -n "$DUMPS" ] || echo "make-seeds: no cached dumps under $CACHE/dumps (make dumps): synthetic printk and flattened seeds only" >&2

rm -rf "$OUT"
mkdir -p "$OUT"
python3 - "$ROOT" "$OUT" "$DUMPS" <<'PY'
import gzip, io, lzma, bz2, os, re, struct, sys, tarfile, zipfile, glob, hashlib

root, out, dumps = sys.argv[1], sys.argv[2], sys.argv[3]

def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

def read(path, limit=None):
    with open(path, 'rb') as f:
        return f.read() if limit is None else f.read(limit)

# --- logs: every text file of the corpora, sliced around its first report ---------------------
REPORT = re.compile(rb'BUG:|WARNING:|Oops|Kernel panic|Call Trace|soft lockup|blocked for more|general protection|Unable to handle')
logs = []
for path in sorted(glob.glob(os.path.join(root, 'corpora', '**', '*'), recursive=True)):
    if not os.path.isfile(path) or path.endswith(('.sh', '.md', '.json', '.py', '.gz', '.yaml')):
        continue
    data = read(path, 1 << 20)
    if b'\0' in data[:4096]:
        continue
    logs.append((os.path.relpath(path, root), data))

def report_slice(data, size):
    m = REPORT.search(data)
    start = 0
    if m:
        start = data.rfind(b'\n', 0, max(0, m.start() - 2048)) + 1
    return data[start:start + size]

for rel, data in logs:
    name = rel.replace('/', '_')
    put('log_analysis', name, report_slice(data, 16 << 10))
    lines = [l for l in data.split(b'\n') if re.search(rb'\+0x[0-9a-f]+/0x|RIP: |^\s*(pc|lr) : |\[<[0-9a-f]+>\]|=> |<IRQ>|<TASK>|<NMI>', l)]
    if lines:
        put('frame_text', name, b'\n'.join(lines[:64]))
# The gzipped sample: a compressed log is still just bytes to the text pipeline.
for path in glob.glob(os.path.join(root, 'corpora', 'samples', '*.gz')):
    put('log_analysis', os.path.basename(path), read(path, 16 << 10))

# --- rules: whole files and one rule per file -----------------------------------------------------
for path in sorted(glob.glob(os.path.join(root, 'rules', 'shipped', '*.yaml'))):
    text = read(path).decode()
    base = os.path.basename(path)
    put('rule_loader', base, text)
    parts = re.split(r'(?m)^(?=  - id: )', text)
    for i, part in enumerate(parts[1:]):
        put('rule_loader', '%s.%02d' % (base, i), 'rules:\n' + part)

# --- archives of a few logs ---------------------------------------------------------------------
small = [(rel, report_slice(data, 4 << 10)) for rel, data in logs[:400:40]]
def tar_of(entries, mode='w'):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode=mode, format=tarfile.GNU_FORMAT) as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))
    return b.getvalue()
entries = [('host%d/var/log/kern.log' % i, d) for i, (_, d) in enumerate(small)]
put('archive_walker', 'logs.tar', tar_of(entries[:3]))
put('archive_walker', 'logs.tar.gz', gzip.compress(tar_of(entries[:3]), mtime=0))
put('archive_walker', 'logs.tar.xz', lzma.compress(tar_of(entries[:2])))
put('archive_walker', 'logs.tar.bz2', bz2.compress(tar_of(entries[:2])))
put('archive_walker', 'nested.tar', tar_of([('outer/inner.tar.gz', gzip.compress(tar_of(entries[:2]), mtime=0)),
                                            ('outer/dmesg.202401011200', small[0][1])]))
put('archive_walker', 'kern.log.gz', gzip.compress(small[1][1], mtime=0))
put('archive_walker', 'kern.log.xz', lzma.compress(small[2][1]))
put('archive_walker', 'kern.log', small[3][1])
z = io.BytesIO()
with zipfile.ZipFile(z, 'w', zipfile.ZIP_DEFLATED) as zf:
    for name, data in entries[:3]:
        zf.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data)
put('archive_walker', 'logs.zip', z.getvalue())
# Members a walker must refuse or pass over: absolute and ".." names, a link, a directory.
b = io.BytesIO()
with tarfile.open(fileobj=b, mode='w', format=tarfile.GNU_FORMAT) as t:
    for name, kind in (('/etc/kern.log', tarfile.REGTYPE), ('../../kern.log', tarfile.REGTYPE),
                       ('dir', tarfile.DIRTYPE), ('link', tarfile.SYMTYPE)):
        info = tarfile.TarInfo(name)
        info.type = kind
        data = small[4][1] if kind == tarfile.REGTYPE else b''
        info.size = len(data)
        if kind == tarfile.SYMTYPE:
            info.linkname = 'dir'
        t.addfile(info, io.BytesIO(data))
put('archive_walker', 'unsafe.tar', b.getvalue())

# --- printk memory images (fuzz/printk_ringbuffer_fuzzer.cpp's format) ----------------------------
texts = []
if dumps:
    for path in sorted(glob.glob(os.path.join(dumps, '*', 'makedumpfile-dmesg.txt')))[:2]:
        for line in read(path).split(b'\n'):
            m = re.match(rb'\[\s*\d+\.\d+\] (.*)', line)
            if m:
                texts.append(m.group(1))
if not texts:
    texts = [l.split(b'] ', 1)[-1] for l in read(os.path.join(root, 'corpora', 'samples', 'veth-softlockup.log')).split(b'\n') if l]
# Records around a report, the part of the log the readers' edge cases matter for.
m = next((i for i, t in enumerate(texts) if REPORT.search(t)), 0)
texts = texts[max(0, m - 8):]

def lockless(count_bits, size_bits, records, first_id, first_lpos, mode=0):
    count, size = 1 << count_bits, 1 << size_bits
    descs, infos, data = bytearray(count * 24), bytearray(count * 88), bytearray(size)
    lpos, seq, ids = first_lpos, 100, []
    for i, text in enumerate(records):
        rid = first_id + i
        block = (8 + len(text) + 7) // 8 * 8
        if block > size // 2:
            break
        begin, nxt, at = lpos, lpos + block, lpos & (size - 1)
        if begin >> size_bits != nxt >> size_bits:   # data_alloc(): wrap to offset 0
            struct.pack_into('<Q', data, at, rid) if at + 8 <= size else None
            nxt, at = (nxt & ~(size - 1)) + block, 0
        struct.pack_into('<Q', data, at, rid)
        data[at + 8:at + 8 + len(text)] = text
        lpos = nxt
        slot = rid & (count - 1)
        struct.pack_into('<QQQ', descs, slot * 24, (2 << 62) | rid, begin, nxt)
        struct.pack_into('<QQHBBI', infos, slot * 88, seq + i, 1000000 * (i + 1), len(text), 0, (6 << 5), i + 1)
        ids.append(rid)
    head, tail = ids[-1], ids[max(0, len(ids) - count)]
    header = struct.pack('<BBQQQQ', count_bits, size_bits, head, tail, lpos, first_lpos)
    return bytes([mode]) + header + bytes(descs) + bytes(infos) + bytes(data)

put('printk_ringbuffer', 'lockless-small', lockless(3, 9, texts[:8], 5, 256 + 128))
put('printk_ringbuffer', 'lockless-wrap', lockless(4, 10, texts[:40], 3, 900))
put('printk_ringbuffer', 'lockless-overwrite', lockless(3, 10, texts[:8], 5, 0, mode=0x04) [:1] + b'\x10\x05\x00' +
    lockless(3, 10, texts[:8], 5, 0)[1:])

def structured(records, old, length=2048, mode=None):
    header = 16 if old else 24
    buf = bytearray(length)
    i = 0
    for n, text in enumerate(records):
        ln = (header + len(text) + 7) // 8 * 8
        if i + ln + header > length:
            break
        struct.pack_into('<QHHHBB', buf, i, 1000000 * n, ln, len(text), 0, 0, 6 << 5)
        if not old:
            struct.pack_into('<I', buf, i + 16, n + 1)
        buf[i + header:i + header + len(text)] = text
        i += ln
    mode = (3 if old else 2) if mode is None else mode
    return bytes([mode]) + struct.pack('<III', length, 0, i) + bytes(buf)

put('printk_ringbuffer', 'structured-caller', structured(texts[:20], False))
put('printk_ringbuffer', 'structured-old', structured(texts[:20], True))

# --- flattened dumps --------------------------------------------------------------------------------
def flat(records, end=True):
    b = bytearray(b'makedumpfile\0\0\0\0' + struct.pack('>qq', 1, 1))
    b += bytes(4096 - len(b))
    for offset, data in records:
        b += struct.pack('>qq', offset, len(data)) + data
    if end:
        b += struct.pack('>qq', -1, -1)
    return bytes(b)
kdump = bytearray(b'KDUMP   ' + struct.pack('<I', 6) + bytes(4096 - 12))
struct.pack_into('<IIIII', kdump, 424, 1, 4096, 1, 2, 32768)
put('flattened_dump', 'synthetic', flat([(0, bytes(kdump[:512])), (4096, b'sub' * 40), (8192, b'x' * 100), (512, bytes(kdump[512:]))]))
put('flattened_dump', 'synthetic-cut', flat([(0, bytes(kdump)), (4096, b'y' * 300)], end=False)[:-100])
if dumps:
    for path in sorted(glob.glob(os.path.join(dumps, '*', 'vmcore.*.flat')))[:2]:
        put('flattened_dump', path.split(os.sep)[-2] + '.flat.head', read(path, 64 << 10))

# --- BTF: a small kernel blob (int, a pointer, a task_struct with an anonymous union and a
# bitfield) and a module's split blob on top of it (a struct of its own) ------------------------
def btf_blob(types, strings):
    hdr = struct.pack('<HBBIIIII', 0xeB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
    return hdr + types + strings
def btf_type(name, kind, vlen, size_or_type, kflag=0):
    return struct.pack('<III', name, (kflag << 31) | (kind << 24) | vlen, size_or_type)
strs = b'\0int\0task_struct\0pid\0next\0state\0flags\0u\0'
off = {w: strs.index(b'\0' + w.encode() + b'\0') + 1 for w in ['int', 'task_struct', 'pid', 'next', 'state', 'flags', 'u']}
types = btf_type(off['int'], 1, 0, 4) + struct.pack('<I', (1 << 24) | 32)           # [1] int
types += btf_type(0, 2, 0, 3)                                                          # [2] struct task_struct *
types += btf_type(off['task_struct'], 4, 4, 24, kflag=1)                               # [3] task_struct
types += struct.pack('<III', off['pid'], 1, 0) + struct.pack('<III', off['next'], 2, 64)
types += struct.pack('<III', 0, 4, 128) + struct.pack('<III', off['flags'], 1, (3 << 24) | 160)
types += btf_type(0, 5, 1, 4) + struct.pack('<III', off['state'], 1, 0)                # [4] anonymous union
kernel_btf = btf_blob(types, strs)
mstrs = b'\0module_priv\0'
mtypes = btf_type(len(strs) + 1, 4, 1, 8) + struct.pack('<III', off['pid'], 1, 0)     # [5] module_priv
module_btf = struct.pack('<HBBIIIII', 0xeB9F, 1, 0, 24, 0, len(mtypes), len(mtypes), len(mstrs)) + mtypes + mstrs
put('btf_types', 'kernel-and-module', struct.pack('<H', len(kernel_btf)) + kernel_btf + module_btf)
put('btf_types', 'kernel-only', struct.pack('<H', len(kernel_btf)) + kernel_btf)

for target in sorted(os.listdir(out)):
    files = os.listdir(os.path.join(out, target))
    size = sum(os.path.getsize(os.path.join(out, target, f)) for f in files)
    print('%-18s %4d seeds %8d bytes' % (target, len(files), size))
PY
