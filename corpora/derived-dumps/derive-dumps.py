#!/usr/bin/python3
"""Derives the kdump-compressed variants nothing on Debian 12 writes for these dumps from a real one.

From a random-access kdump-zlib file (QEMU's, after `makedumpfile -R`) it writes, into OUTDIR:
  vmcore.kdump-lzo, vmcore.kdump-snappy, vmcore.kdump-zstd
      the same header, sub-header, notes, VMCOREINFO, bitmaps and page set, every page decompressed
      and recompressed the way makedumpfile and QEMU do it (lzo1x_1, raw snappy, zstd level 1; a
      page whose compressed form is not smaller is stored raw with flags 0; the shared zero page
      stays raw), the header's status compression bit set to match;
  vmcore.kdump-split.1 ... .N
      a split dump set laid out as `makedumpfile --split` writes it: every file a complete diskdump
      with the same disk_dump_header, the full 1st and 2nd bitmaps, a sub-header with split=1 and
      its [start_pfn, end_pfn), and only that range's page descriptors (from the start of the
      descriptor area, indexed by the rank of the PFN from start_pfn) and page data; the data area
      starts after room for every dumpable page's descriptor, with its own zero page first.
      Pages keep the source's zlib blocks.
Afterwards it re-reads every output with its own reader and checks that each dumpable page
decompresses to the source's bytes; it exits non-zero (and leaves no output) when one does not.

Python 3 stdlib plus Debian's python3-lzo, python3-snappy and python3-zstandard; run it with
/usr/bin/python3. Only little-endian 64-bit (x86-64 and alike) kdump files are handled.
"""

import argparse
import os
import struct
import sys
import time
import zlib

import lzo
import snappy
import zstandard

# Page descriptor flags and disk_dump_header.status bits (makedumpfile's diskdump_mod.h).
ZLIB, LZO, SNAPPY, ZSTD = 0x1, 0x2, 0x4, 0x20
COMPRESSED = ZLIB | LZO | SNAPPY | ZSTD
NAMES = {"zlib": ZLIB, "lzo": LZO, "snappy": SNAPPY, "zstd": ZSTD}
DL_EXCLUDE_ZERO = 1  # dump_level bit: zero pages share one raw data block

# struct disk_dump_header (64-bit): signature[8], int header_version @8, new_utsname (6 x 65) @12,
# pad to 8, struct timeval @408, then these 32-bit fields from @424.
HEADER_FIELDS = ("status", "block_size", "sub_hdr_size", "bitmap_blocks", "max_mapnr",
                 "total_ram_blocks", "device_blocks", "written_blocks", "current_cpu", "nr_cpus")
HEADER_FMT = "<IiiIIIIIIi"
HEADER_AT = 424
STATUS_AT = 424
# struct kdump_sub_header (64-bit), at offset block_size.
SUB_FIELDS = ("phys_base", "dump_level", "split", "start_pfn", "end_pfn", "offset_vmcoreinfo",
              "size_vmcoreinfo", "offset_note", "size_note", "offset_eraseinfo", "size_eraseinfo",
              "start_pfn_64", "end_pfn_64", "max_mapnr_64")
SUB_FMT = "<QiiQQQQQQQQQQQ"
SUB_SIZE = struct.calcsize(SUB_FMT)  # 104
DESC = struct.Struct("<qIIQ")  # page_desc: offset, size, flags, page_flags
UINT_MAX = 0xFFFFFFFF


class DumpError(Exception):
    pass


class Diskdump:
    """One kdump-compressed file, parsed the way libkdumpfile's diskdump.c reads it."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if len(d) < 8 or d[:8] not in (b"KDUMP   ", b"DISKDUMP"):
            raise DumpError(f"{path}: no KDUMP/DISKDUMP signature")
        if len(d) < HEADER_AT + struct.calcsize(HEADER_FMT):
            raise DumpError(f"{path}: shorter than a disk_dump_header")
        self.header_version = struct.unpack_from("<i", d, 8)[0]
        self.h = dict(zip(HEADER_FIELDS, struct.unpack_from(HEADER_FMT, d, HEADER_AT)))
        bs = self.h["block_size"]
        if bs < 1024 or bs > (1 << 20) or bs & (bs - 1):
            raise DumpError(f"{path}: block_size {bs} is no page size (big-endian or 32-bit dump?)")
        if self.header_version < 1:
            raise DumpError(f"{path}: header_version {self.header_version} has no sub-header")
        self.bs = bs
        self.sub = dict(zip(SUB_FIELDS, struct.unpack_from(SUB_FMT, d, bs)))
        self.max_pfn = self.h["max_mapnr"]
        if self.header_version >= 6:
            self.max_pfn = self.sub["max_mapnr_64"]
        self.start_pfn, self.end_pfn = 0, None
        if self.header_version >= 2 and self.sub["split"]:
            self.start_pfn, self.end_pfn = self.sub["start_pfn"], self.sub["end_pfn"]
            if self.header_version >= 6:
                self.start_pfn, self.end_pfn = self.sub["start_pfn_64"], self.sub["end_pfn_64"]

        # Bitmaps: (1 + sub_hdr_size) blocks in. makedumpfile writes two (all RAM, then dumpable);
        # libkdumpfile takes the second when max_pfn fits in half of them.
        self.bitmap_off = (1 + self.h["sub_hdr_size"]) * bs
        bitmap_size = self.h["bitmap_blocks"] * bs
        self.desc_off = self.bitmap_off + bitmap_size
        self.dumpable_off, self.dumpable_size = self.bitmap_off, bitmap_size
        if self.max_pfn <= bitmap_size * 8 // 2:
            self.dumpable_size = bitmap_size // 2
            self.dumpable_off = self.bitmap_off + self.dumpable_size
        if self.max_pfn > self.dumpable_size * 8:
            raise DumpError(f"{path}: bitmap of {self.dumpable_size * 8} bits for {self.max_pfn} PFNs")
        if self.desc_off > len(d):
            raise DumpError(f"{path}: truncated before the page descriptors")

        # Dumpable PFNs in this file's range; descriptor i belongs to the i-th of them.
        end = self.max_pfn if self.end_pfn is None else min(self.end_pfn, self.max_pfn)
        self.pfns = [pfn for pfn in set_bits(d, self.dumpable_off, self.dumpable_size)
                     if self.start_pfn <= pfn < end]
        n = len(self.pfns)
        if self.desc_off + n * DESC.size > len(d):
            raise DumpError(f"{path}: truncated in the page descriptors")
        self.descs = list(DESC.iter_unpack(d[self.desc_off:self.desc_off + n * DESC.size]))
        for i, (off, size, flags, _) in enumerate(self.descs):
            if off < 0 or off + size > len(d):
                raise DumpError(f"{path}: PFN {self.pfns[i]:#x}: data at {off}+{size} is outside the file")

    def block(self, desc):
        off, size, _, _ = desc
        return self.data[off:off + size]

    def page(self, desc):
        """The page's bytes, decompressed as its flags say; exactly block_size of them."""
        return decompress(self.block(desc), desc[2], self.bs, self.path)


def set_bits(data, off, size):
    """PFNs whose bit is set in a bitmap (bit 0 of byte 0 is PFN 0), ascending."""
    out = []
    chunk = 8
    for base in range(0, size, chunk):
        word = int.from_bytes(data[off + base:off + base + chunk], "little")
        pfn = base * 8
        while word:
            low = word & -word
            out.append(pfn + low.bit_length() - 1)
            word ^= low
    return out


def decompress(block, flags, page_size, where):
    kinds = flags & COMPRESSED
    if kinds & (kinds - 1):
        raise DumpError(f"{where}: page flags {flags:#x} name several compressions")
    try:
        if kinds == 0:
            page = bytes(block)
        elif kinds == ZLIB:
            page = zlib.decompress(block)
        elif kinds == LZO:
            page = lzo.decompress(bytes(block), False, page_size)
        elif kinds == SNAPPY:
            page = snappy.uncompress(bytes(block))
        else:
            page = zstandard.ZstdDecompressor().decompress(block, max_output_size=page_size)
    except Exception as e:  # each library raises its own error type
        raise DumpError(f"{where}: page does not decompress ({flags:#x}): {e}") from e
    if len(page) != page_size:
        raise DumpError(f"{where}: page decompresses to {len(page)} bytes, not {page_size}")
    return page


def make_compressor(kind):
    """Compress as makedumpfile 1.7 and QEMU do: lzo1x_1, raw snappy, zstd level 1."""
    if kind == LZO:
        return lambda page: lzo.compress(page, 1, False)
    if kind == SNAPPY:
        return snappy.compress
    if kind == ZSTD:
        cctx = zstandard.ZstdCompressor(level=1)
        return cctx.compress
    if kind == ZLIB:
        return lambda page: zlib.compress(page, 1)
    raise ValueError(kind)


def status_with(src, kind):
    return (src.h["status"] & ~COMPRESSED) | kind


def head_bytes(src, status, sub_updates):
    """Header, sub-header (notes and VMCOREINFO inside) and bitmaps, with fields replaced."""
    head = bytearray(src.data[:src.desc_off])
    struct.pack_into("<I", head, STATUS_AT, status)
    sub = dict(src.sub, **sub_updates)
    struct.pack_into(SUB_FMT, head, src.bs, *(sub[k] for k in SUB_FIELDS))
    return head


def eraseinfo(src):
    off, size = src.sub["offset_eraseinfo"], src.sub["size_eraseinfo"]
    return src.data[off:off + size] if size else b""


def data_start(src):
    """Where the source's page data begins: right after its descriptors."""
    return src.desc_off + len(src.descs) * DESC.size


def write_file(path, head, descs, data_off, blocks, erase, src, sub_updates):
    """head at 0, descriptors at src.desc_off, blocks from data_off, eraseinfo after them."""
    end = data_off + sum(len(b) for b in blocks)
    if erase:
        sub_updates = dict(sub_updates, offset_eraseinfo=end, size_eraseinfo=len(erase))
        struct.pack_into(SUB_FMT, head, src.bs, *(dict(src.sub, **sub_updates)[k] for k in SUB_FIELDS))
    with open(path, "wb") as f:
        f.write(head)
        f.write(b"".join(DESC.pack(*d) for d in descs))
        # Split files leave the rest of the descriptor area unwritten: a hole, as makedumpfile does.
        f.seek(data_off)
        for b in blocks:
            f.write(b)
        f.write(erase)
        f.truncate(end + len(erase))


def recompress(src, kind, path):
    """The whole dump with every page recompressed as `kind`."""
    compress = make_compressor(kind)
    page_size = src.bs
    # One new block per distinct source block, in the source's data order (the shared zero page
    # first, then PFN order), so that shared data stays shared and the layout stays QEMU's.
    unique = sorted({(off, size, flags) for off, size, flags, _ in src.descs})
    start = data_start(src)
    if unique and unique[0][0] < start:
        raise DumpError(f"{src.path}: page data at {unique[0][0]} overlaps the descriptors")
    new_of = {}
    blocks = []
    at = start
    zero = bytes(page_size)
    for off, size, flags in unique:
        page = decompress(src.data[off:off + size], flags, page_size, f"{src.path} @{off}")
        if flags & COMPRESSED == 0 and page == zero:
            block, new_flags = page, flags & ~COMPRESSED  # the shared zero page is always raw
        else:
            packed = compress(page)
            if len(packed) < page_size:
                block, new_flags = packed, (flags & ~COMPRESSED) | kind
            else:
                block, new_flags = page, flags & ~COMPRESSED
        new_of[(off, size, flags)] = (at, len(block), new_flags)
        blocks.append(block)
        at += len(block)
    descs = [new_of[(off, size, flags)] + (page_flags,) for off, size, flags, page_flags in src.descs]
    head = head_bytes(src, status_with(src, kind), {})
    write_file(path, head, descs, start, blocks, eraseinfo(src), src, {})


def split_ranges(src, nfiles, splitblock_pages):
    """[start_pfn, end_pfn) per file, as makedumpfile's setup_splitting(): each file but the last
    takes whole splitblocks until it holds its share (num_dumpable / nfiles) of dumpable pages."""
    nblocks = -(-src.max_pfn // splitblock_pages)
    per_block = [0] * nblocks
    for pfn in src.pfns:
        per_block[pfn // splitblock_pages] += 1
    ranges, start, block = [], 0, 0
    for _ in range(nfiles - 1):
        if start >= src.max_pfn:
            end = src.max_pfn
        else:
            needed = len(src.pfns) // nfiles
            while block < nblocks and needed > 0:
                needed -= per_block[block]
                block += 1
            end = min(block * splitblock_pages, src.max_pfn)
        ranges.append((start, end))
        start = end
    ranges.append((start, src.max_pfn))
    return ranges


def split(src, ranges, paths):
    page_size = src.bs
    total = len(src.pfns)
    data_off = src.desc_off + total * DESC.size
    zero = bytes(page_size)
    with_zero_page = bool(src.sub["dump_level"] & DL_EXCLUDE_ZERO)
    status = src.h["status"]  # the same disk_dump_header in every file (makedumpfile checks it)
    i = 0
    for (start, end), path in zip(ranges, paths):
        blocks, descs, placed = [], [], {}
        at = data_off
        zero_desc = None
        if with_zero_page:
            zero_desc = (at, page_size, 0)
            blocks.append(zero)
            at += page_size
        while i < total and src.pfns[i] < end:
            off, size, flags, page_flags = src.descs[i]
            i += 1
            key = (off, size, flags)
            if key not in placed:
                page = decompress(src.data[off:off + size], flags, page_size, f"{src.path} @{off}")
                if zero_desc and page == zero:
                    placed[key] = zero_desc
                else:
                    placed[key] = (at, size, flags)
                    blocks.append(src.data[off:off + size])
                    at += size
            descs.append(placed[key] + (page_flags,))
        sub = {"split": 1, "start_pfn": min(start, UINT_MAX), "end_pfn": min(end, UINT_MAX)}
        if src.header_version >= 6:
            sub.update(start_pfn_64=start, end_pfn_64=end)
        head = head_bytes(src, status, sub)
        write_file(path, head, descs, data_off, blocks, eraseinfo(src), src, sub)


def verify(src, paths, kind):
    """Re-reads the output file(s) and checks them against the source; raises DumpError."""
    outs = [Diskdump(p) for p in paths]
    split_set = len(outs) > 1
    seen = {}
    for out in outs:
        where = out.path
        if out.h["status"] != status_with(src, kind):
            raise DumpError(f"{where}: status {out.h['status']:#x}, expected {status_with(src, kind):#x}")
        # Everything before the descriptors is the source's but for status and the split fields.
        expected = head_bytes(src, status_with(src, kind),
                              {k: out.sub[k] for k in ("split", "start_pfn", "end_pfn",
                                                       "start_pfn_64", "end_pfn_64",
                                                       "offset_eraseinfo", "size_eraseinfo")})
        if out.data[:out.desc_off] != bytes(expected):
            raise DumpError(f"{where}: header, notes or bitmaps differ from the source's")
        if eraseinfo(out) != eraseinfo(src):
            raise DumpError(f"{where}: eraseinfo differs from the source's")
        if split_set != bool(out.sub["split"]):
            raise DumpError(f"{where}: sub-header split={out.sub['split']}")
        pairs = {}
        for pfn, desc in zip(out.pfns, out.descs):
            if pfn in seen:
                raise DumpError(f"{where}: PFN {pfn:#x} also in {seen[pfn]}")
            seen[pfn] = where
            flags = desc[2] & COMPRESSED
            if flags not in (0, kind):
                raise DumpError(f"{where}: PFN {pfn:#x} has flags {desc[2]:#x}")
            if flags == 0 and desc[1] != out.bs:
                raise DumpError(f"{where}: PFN {pfn:#x} stored raw in {desc[1]} bytes")
            pairs.setdefault((desc[0], desc[1], desc[2]), []).append(pfn)
        src_desc = dict(zip(src.pfns, src.descs))
        for (off, size, flags), pfns in pairs.items():
            page = decompress(out.data[off:off + size], flags, out.bs, f"{where} PFN {pfns[0]:#x}")
            for s in {src_desc[p][:3] for p in pfns}:
                if src.page(s + (0,)) != page:
                    raise DumpError(f"{where}: PFN {pfns[0]:#x} differs from the source's page")
    if split_set:
        bounds = [(o.start_pfn, o.end_pfn) for o in outs]
        if bounds[0][0] != 0 or bounds[-1][1] != src.max_pfn or any(
                a[1] != b[0] for a, b in zip(bounds, bounds[1:])):
            raise DumpError(f"{', '.join(paths)}: PFN ranges {bounds} do not tile [0, {src.max_pfn:#x})")
        for o in outs:
            if o.sub["start_pfn"] != min(o.start_pfn, UINT_MAX) or o.sub["end_pfn"] != min(o.end_pfn, UINT_MAX):
                raise DumpError(f"{o.path}: 32-bit start_pfn/end_pfn disagree with the 64-bit ones")
    if sorted(seen) != src.pfns:
        missing = len(set(src.pfns) - set(seen))
        raise DumpError(f"{', '.join(paths)}: {missing} of the source's {len(src.pfns)} pages are missing")
    return outs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", help="random-access kdump-compressed file (vmcore.kdump-zlib)")
    ap.add_argument("outdir")
    ap.add_argument("--formats", default="lzo,snappy,zstd,split",
                    help="comma-separated: lzo, snappy, zstd, split (default: all)")
    ap.add_argument("--split-files", type=int, default=2, help="files in the split set (default 2)")
    ap.add_argument("--splitblock-size", type=int, default=1024,
                    help="KiB per splitblock, makedumpfile's --splitblock-size (default 1024: "
                         "its 1 GiB default would put all of a 256 MiB guest in the first file)")
    args = ap.parse_args()

    t0 = time.monotonic()
    try:
        src = Diskdump(args.source)
    except (OSError, DumpError) as e:
        sys.exit(f"derive-dumps: {e}")
    if src.sub["split"]:
        sys.exit(f"derive-dumps: {args.source} is itself a split file")
    print(f"derive-dumps: read {args.source}: {len(src.pfns)} pages, "
          f"{len({d[0] for d in src.descs})} data blocks, {time.monotonic() - t0:.2f} s", file=sys.stderr)
    os.makedirs(args.outdir, exist_ok=True)
    splitblock_pages = args.splitblock_size * 1024 // src.bs
    if splitblock_pages < 1 or args.split_files < 2:
        sys.exit("derive-dumps: --splitblock-size must hold a page and --split-files be 2 or more")

    failed = False
    for fmt in args.formats.split(","):
        t = time.monotonic()
        if fmt in ("lzo", "snappy", "zstd"):
            kind = NAMES[fmt]
            finals = [os.path.join(args.outdir, f"vmcore.kdump-{fmt}")]
        elif fmt == "split":
            kind = src.h["status"] & COMPRESSED
            finals = [os.path.join(args.outdir, f"vmcore.kdump-split.{i + 1}") for i in range(args.split_files)]
        else:
            sys.exit(f"derive-dumps: unknown format {fmt!r}")
        temps = [p + ".partial" for p in finals]
        try:
            if fmt == "split":
                ranges = split_ranges(src, args.split_files, splitblock_pages)
                split(src, ranges, temps)
            else:
                recompress(src, kind, temps[0])
            written = time.monotonic() - t
            outs = verify(src, temps, kind)
        except (OSError, DumpError) as e:
            print(f"derive-dumps: {fmt}: {e}", file=sys.stderr)
            for p in temps:
                if os.path.exists(p):
                    os.unlink(p)
            failed = True
            continue
        for tmp, final in zip(temps, finals):
            os.replace(tmp, final)
        sizes = " + ".join(str(os.path.getsize(p)) for p in finals)
        detail = ""
        if fmt == "split":
            detail = " " + ", ".join(f"[{o.start_pfn:#x}, {o.end_pfn:#x}): {len(o.pfns)} pages" for o in outs)
        else:
            raw = sum(1 for d in {x[:3] for x in outs[0].descs} if d[2] & COMPRESSED == 0)
            detail = f" ({raw} raw blocks)"
        print(f"derive-dumps: {os.path.basename(finals[0])}{'...' if len(finals) > 1 else ''} {sizes} bytes{detail}, "
              f"written in {written:.2f} s, verified in {time.monotonic() - t - written:.2f} s", file=sys.stderr)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
