#!/usr/bin/env bash
# Symbolization benchmark: `ktriage symbolize` against the kernel's scripts/decode_stacktrace.sh
# (from Debian's linux-source of the same version) and `eu-addr2line -i -f` on the same log of
# 10,000 real x86-64 frames of Debian's 6.1 cloud kernel, in the same run.
#
#   bench/symbolize.sh [--ktriage PATH] [--runs N] [--frames N] [--decode-frames N] [--debuginfo DIR]
#
# The log: the frames of corpora/console/debian-6.1-qemu/*.log, then traces of frames drawn with a
# fixed seed from vmlinux's FUNC symbols (5% from veth.ko, a quarter unreliable `? `, a RIP line in
# one trace of four), offsets inside the function, sizes as kallsyms prints them (distance to the
# next text symbol). Debuginfo: corpora/debuginfo/make-debuginfo.sh. decode_stacktrace.sh runs nm
# and addr2line per symbol: when a --decode-frames prefix (default 1,000) projects to more than
# 2 minutes for the whole log, the prefix's time is scaled, and the output says so.
# Goals: ktriage >= 50x faster than decode_stacktrace.sh and faster than eu-addr2line; first frame
# with a cold vmlinux (evicted from the page cache) in < 1 s. About 7 minutes on 2 cores, most of
# it decode_stacktrace.sh on the prefix.
# The strongest anchor, llvm-symbolizer --inlining (Debian's llvm), is measured last on the same
# vmlinux addresses as ktriage's frames, for 1, 100 and 2,000 frames, with the page cache warm and
# then cold; the ratio llvm-symbolizer / ktriage is the last line (goal: >= 2 for 2,000 warm).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ktriage="${root}/build/analyzer/cli/ktriage"
runs=3
frames=10000
decode_frames=1000
decode_budget_s=120
debuginfo=""
seed=20261122
cache="${KTRIAGE_CACHE:-${HOME}/.cache/ktriage}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ktriage) ktriage="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --frames) frames="$2"; shift 2 ;;
    --decode-frames) decode_frames="$2"; shift 2 ;;
    --debuginfo) debuginfo="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "symbolize.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
for n in "${runs}" "${frames}" "${decode_frames}"; do
  [[ "${n}" =~ ^[0-9]+$ && "${n}" -gt 0 ]] || { echo "symbolize.sh: counts must be positive integers" >&2; exit 2; }
done
for tool in eu-addr2line addr2line nm readelf dpkg-deb apt-get python3 fincore /usr/bin/time llvm-symbolizer; do
  command -v "${tool}" >/dev/null || { echo "symbolize.sh: ${tool} is missing (scripts/install-deps.sh)" >&2; exit 2; }
done
# No tool may ask a debuginfod server (Debian's profile sets DEBUGINFOD_URLS): local files only.
unset DEBUGINFOD_URLS

if [[ -z "${debuginfo}" ]]; then
  debuginfo="$("${root}/corpora/debuginfo/make-debuginfo.sh" | tail -n 1)"
fi
[[ -f "${debuginfo}/DONE" ]] || { echo "symbolize.sh: no debuginfo at ${debuginfo} (make debuginfo)" >&2; exit 2; }
abi="$(sed -n 's/^kernel_abi=//p' "${debuginfo}/versions.txt")"
dbg_version="$(sed -n 's/^linux-image-.*-dbg=//p' "${debuginfo}/versions.txt")"
vmlinux="${debuginfo}/usr/lib/debug/boot/vmlinux-${abi}"
moddir="${debuginfo}/usr/lib/debug/lib/modules/${abi}"
veth_ko="$(find "${moddir}/kernel" -name veth.ko | head -n 1)"
[[ -f "${vmlinux}" && -f "${veth_ko}" ]] || { echo "symbolize.sh: ${debuginfo} lacks vmlinux or veth.ko" >&2; exit 2; }

# --- decode_stacktrace.sh from Debian's linux-source, cached by package version -----------------
# The package is a 139 MB .deb holding a tarball of the tree: only scripts/decode_stacktrace.sh
# and scripts/decodecode (which it runs for Code: lines) are kept.
src_pkg="linux-source-$(echo "${abi}" | cut -d. -f1,2)"
decode_dir() { echo "${cache}/bench/${src_pkg}-$1"; }
fetch_source_scripts() {
  local version="$1" deb out work
  out="$(decode_dir "${version}")"
  [[ -f "${out}/DONE" ]] && return 0
  deb="$(ls "${cache}/debs/${src_pkg}_${version}_"*.deb 2>/dev/null | head -n 1)"
  if [[ -z "${deb}" ]]; then
    mkdir -p "${cache}/debs"
    echo "symbolize.sh: downloading ${src_pkg} ${version} (about 140 MB)" >&2
    (cd "${cache}/debs" && apt-get download -qq "${src_pkg}=${version}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
    deb="$(ls "${cache}/debs/${src_pkg}_${version}_"*.deb 2>/dev/null | head -n 1)"
    [[ -n "${deb}" ]] || return 1
  fi
  echo "symbolize.sh: extracting scripts/decode_stacktrace.sh from $(basename "${deb}")" >&2
  work="${out}.partial"
  rm -rf "${work}"; mkdir -p "${work}"
  dpkg-deb --fsys-tarfile "${deb}" | tar -xO "./usr/src/${src_pkg}.tar.xz" |
    tar -xJ -C "${work}" --strip-components=1 "${src_pkg}/scripts/decode_stacktrace.sh" "${src_pkg}/scripts/decodecode"
  [[ -x "${work}/scripts/decode_stacktrace.sh" ]] || { echo "symbolize.sh: ${deb} has no scripts/decode_stacktrace.sh" >&2; exit 2; }
  echo "${src_pkg}=${version}" > "${work}/version.txt"
  date -u +%FT%TZ > "${work}/DONE"
  rm -rf "${out}"; mv "${work}" "${out}"
}
# The kernel's own version first (same source as the debuginfo), else apt's candidate.
src_version="${dbg_version}"
if ! fetch_source_scripts "${src_version}"; then
  src_version="$(apt-cache policy "${src_pkg}" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
  [[ -n "${src_version}" && "${src_version}" != "(none)" ]] && fetch_source_scripts "${src_version}" ||
    { echo "symbolize.sh: cannot download ${src_pkg} (apt-get update?)" >&2; exit 2; }
fi
decode="$(decode_dir "${src_version}")/scripts/decode_stacktrace.sh"

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT

# --- the log --------------------------------------------------------------------------------------
# frames.tsv: line number in log.txt, object (vmlinux|veth), address for eu-addr2line (vmlinux:
# virtual; veth: offset in .text), the frame as printed.
python3 - "${vmlinux}" "${veth_ko}" "${root}/corpora/console/debian-6.1-qemu" "${frames}" "${decode_frames}" "${seed}" "${tmp}" <<'EOF'
import bisect, os, random, re, subprocess, sys

vmlinux, veth_ko, console_dir, n_frames, n_prefix, seed, out = sys.argv[1:]
n_frames, n_prefix, seed = int(n_frames), int(n_prefix), int(seed)
rng = random.Random(seed)

def text_symbols(path):
    """nm -n text symbols: (sorted distinct addresses, first address by name, names seen twice)."""
    addrs, first, dup = set(), {}, set()
    for line in subprocess.run(["nm", "-n", path], capture_output=True, text=True, check=True).stdout.splitlines():
        p = line.split()
        if len(p) != 3 or p[1] not in "tTwW":
            continue
        a = int(p[0], 16)
        addrs.add(a)
        if p[2] in first:
            dup.add(p[2])
        else:
            first[p[2]] = a
    return sorted(addrs), first, dup

def funcs_in_text(path):
    """FUNC symbols of size >= 2 in the .text section: [(name, value, size)]."""
    text_ndx = None
    for line in subprocess.run(["readelf", "-SW", path], capture_output=True, text=True, check=True).stdout.splitlines():
        m = re.match(r"\s*\[\s*(\d+)\]\s+\.text\s", line)
        if m:
            text_ndx = m.group(1)
    out = []
    for line in subprocess.run(["readelf", "-sW", path], capture_output=True, text=True, check=True).stdout.splitlines():
        p = line.split()
        if len(p) == 8 and p[3] == "FUNC" and p[6] == text_ndx and int(p[2], 0) >= 2:
            out.append((p[7], int(p[1], 16), int(p[2], 0)))
    return out

def kallsyms_size(addrs, a):
    i = bisect.bisect_right(addrs, a)
    return addrs[i] - a if i < len(addrs) else None

objs = {}
for key, path in (("vmlinux", vmlinux), ("veth", veth_ko)):
    addrs, first, dup = text_symbols(path)
    # Left out: names kallsyms would print ambiguously (two static functions alike), and the
    # static-call trampolines (__SCT__*: 8-byte jumps with no DWARF, never a frame of their own).
    funcs = sorted({f for f in funcs_in_text(path)
                    if f[0] not in dup and first.get(f[0]) == f[1] and not f[0].startswith("__SCT__")})
    objs[key] = (addrs, first, funcs)

lines, frames = [], []  # frames: (line index, object, address, printed)
frame_re = re.compile(r"^(\[\s*\d+\.\d+\] )(RIP: [0-9a-f]{4}:| (?:\? )?)([A-Za-z0-9_.]+)\+0x([0-9a-f]+)/0x([0-9a-f]+)( \[(\w+)\])?$")

def add_frame(text, obj, addr):
    frames.append((len(lines), obj, addr, text))
    lines.append(text)

# 1. The real console logs' frames, in file order (frames of modules not extracted are skipped).
for name in sorted(os.listdir(console_dir)):
    with open(os.path.join(console_dir, name), errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            m = frame_re.match(line)
            if not m:
                continue
            obj = "veth" if m.group(7) == "veth" else ("vmlinux" if not m.group(7) else None)
            if obj is None or m.group(3) not in objs[obj][1]:
                continue
            add_frame(line, obj, objs[obj][1][m.group(3)] + int(m.group(4), 16))
n_console = len(frames)

# 2. Traces of random real functions until the log has n_frames frames.
t = 100.0
while len(frames) < n_frames:
    t += rng.uniform(0.001, 3.0)
    ts = "[%5d.%06d]" % (int(t), int(round((t - int(t)) * 1e6)) % 1000000)
    depth = rng.randint(6, 24)
    def frame(prefix):
        obj = "veth" if rng.random() < 0.05 else "vmlinux"
        addrs, first, funcs = objs[obj]
        name, value, size = funcs[rng.randrange(len(funcs))]
        ks = kallsyms_size(addrs, value) or size
        off = rng.randrange(1, min(size, ks))
        text = "%s %s%s+0x%x/0x%x%s" % (ts, prefix, name, off, ks, " [veth]" if obj == "veth" else "")
        add_frame(text, obj, value + off)
    if rng.random() < 0.25:
        frame("RIP: 0010:")
    lines.append(ts + " Call Trace:")
    lines.append(ts + "  <TASK>")
    for _ in range(depth):
        if len(frames) >= n_frames:
            break
        frame(" ? " if rng.random() < 0.25 else " ")
    lines.append(ts + "  </TASK>")

def write(path, text_lines):
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in text_lines))

write(os.path.join(out, "log.txt"), lines)
prefix_end = frames[min(n_prefix, len(frames)) - 1][0] + 1
write(os.path.join(out, "log-prefix.txt"), lines[:prefix_end])
write(os.path.join(out, "first.txt"), [frames[n_console][3] if n_console < len(frames) else frames[0][3]])
with open(os.path.join(out, "frames.tsv"), "w") as f:
    for i, obj, addr, text in frames:
        f.write("%d\t%s\t0x%x\t%s\n" % (i, obj, addr, text))
for obj in ("vmlinux", "veth"):
    write(os.path.join(out, obj + ".addrs"), ["0x%x" % a for _, o, a, _ in frames if o == obj])
# For llvm-symbolizer: the random traces' vmlinux frames (real functions of this very build), as
# a log for ktriage and as the same addresses for llvm-symbolizer, 1, 100 and 2,000 of them.
random_vmlinux = [(text, addr) for i, (_, obj, addr, text) in enumerate(frames) if i >= n_console and obj == "vmlinux"]
for count in (1, 100, 2000):
    picked = random_vmlinux[:count]
    write(os.path.join(out, "llvm-%d.log" % count), [t for t, _ in picked])
    write(os.path.join(out, "llvm-%d.addrs" % count), ["0x%x" % a for _, a in picked])
distinct = len({(o, a) for _, o, a, _ in frames})
with open(os.path.join(out, "stats.txt"), "w") as f:
    f.write("%d %d %d\n" % (n_console, distinct, len({(o, a) for _, o, a, _ in frames[:n_prefix]})))
print("%d frames (%d from the console logs, %d distinct addresses), %d log lines; prefix: %d frames"
      % (len(frames), n_console, distinct, len(lines), min(n_prefix, len(frames))), file=sys.stderr)
EOF
n_frames="$(wc -l < "${tmp}/frames.tsv")"
read -r n_console n_distinct n_prefix_distinct < "${tmp}/stats.txt"
n_prefix="$(( decode_frames < n_frames ? decode_frames : n_frames ))"

# Best wall time of N runs and the peak RSS of the last, for a command given as arguments, with
# stdin from $1 and stdout to $2.
measure() {
  local in="$1" out="$2" n="$3" best="" t start end
  shift 3
  for (( i = 0; i < n; i++ )); do
    start=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "${tmp}/rss" "$@" < "${in}" > "${out}" 2> "${tmp}/err" || { cat "${tmp}/err" >&2; return 1; }
    end=$(date +%s.%N)
    t=$(awk -v a="${start}" -v b="${end}" 'BEGIN { printf "%.4f", b - a }')
    if [[ -z "${best}" ]] || awk -v t="${t}" -v b="${best}" 'BEGIN { exit !(t < b) }'; then best="${t}"; fi
  done
  echo "${best} $(tail -n 1 "${tmp}/rss")"
}

# Page-cache eviction for the cold start: posix_fadvise(DONTNEED) on the files, then, when pages
# stay resident (mapped elsewhere), drop_caches if this user may write it.
evict() {
  python3 - "$@" <<'EOF'
import os, sys
for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
EOF
  local res
  res="$(fincore -nbo RES "$1" | awk '{ print $1 }')"
  if [[ "${res}" -gt $(( $(stat -c %s "$1") / 100 )) ]] && [[ -w /proc/sys/vm/drop_caches ]]; then
    sync; echo 1 > /proc/sys/vm/drop_caches
    res="$(fincore -nbo RES "$1" | awk '{ print $1 }')"
  fi
  echo "${res}"
}

# "cold", or why not: pages another process maps stay in the page cache whatever we do.
cold_note() {
  if [[ "$1" -le $(( $(stat -c %s "${vmlinux}") / 100 )) ]]; then echo cold
  else echo "NOT cold: $(( $1 >> 20 )) MB of vmlinux stayed in the page cache (mapped by another process?)"; fi
}

cat "${vmlinux}" "${veth_ko}" > /dev/null  # page cache for every tool alike

# --- eu-addr2line: the addresses, one process per object file --------------------------------------
eu_both() {
  eu-addr2line -a -i -f -e "${vmlinux}" < "${tmp}/vmlinux.addrs"
  eu-addr2line -a -i -f -e "${veth_ko}" -j .text < "${tmp}/veth.addrs"
}
export -f eu_both; export vmlinux veth_ko tmp
read -r eu_t eu_rss < <(measure /dev/null "${tmp}/eu.out" "${runs}" bash -c eu_both)
eu_unresolved=$(grep -c '^??:0' "${tmp}/eu.out" || true)

# --- decode_stacktrace.sh: the prefix, then the whole log when it fits the budget ------------------
basepath="$(eu-addr2line -e "${vmlinux}" "0x$(nm "${vmlinux}" | awk '$3 == "kernel_init" { print $1; exit }')" | sed 's|/init/main.c:.*||')"
read -r dp_t dp_rss < <(measure "${tmp}/log-prefix.txt" "${tmp}/decode-prefix.out" 1 "${decode}" "${vmlinux}" "${basepath}" "${moddir}")
decode_note="whole log, best of 1"
if awk -v t="${dp_t}" -v p="${n_prefix}" -v n="${n_frames}" -v b="${decode_budget_s}" 'BEGIN { exit !(t * n / p <= b) }' && (( n_prefix < n_frames )); then
  read -r d_t d_rss < <(measure "${tmp}/log.txt" "${tmp}/decode.out" 1 "${decode}" "${vmlinux}" "${basepath}" "${moddir}")
  decode_out="${tmp}/decode.out"; d_frames="${n_frames}"
else
  d_rss="${dp_rss}"; decode_out="${tmp}/decode-prefix.out"; d_frames="${n_prefix}"
  d_t=$(awk -v t="${dp_t}" -v p="${n_prefix}" -v n="${n_frames}" 'BEGIN { printf "%.4f", t * n / p }')
  if (( n_prefix < n_frames )); then
    decode_note="${n_prefix}-frame prefix took ${dp_t} s, scaled x$(awk -v p="${n_prefix}" -v n="${n_frames}" 'BEGIN { printf "%g", n / p }') by frame count; it caches per symbol and address, and the prefix has ${n_prefix_distinct} distinct addresses in ${n_prefix} frames (it starts with the ${n_console} console frames, which repeat) against ${n_distinct} in ${n_frames}, so the scaled time is if anything low"
  fi
fi
# Frames it resolved (their "name+0xoff/0xsize" became "name (file:line ...)"), then the two anchors
# against each other on those frames: the outermost file:line, and the whole inline chain.
read -r d_resolved agree_outer agree_chain < <(python3 - "${tmp}/frames.tsv" "${decode_out}" "${tmp}/eu.out" "${basepath}" <<'EOF'
import re, sys
frames_tsv, decode_out, eu_out, base = sys.argv[1:]
frames = [l.rstrip("\n").split("\t") for l in open(frames_tsv)]
decoded = open(decode_out).read().split("\n")
blocks, cur = [], None  # eu-addr2line -a: "0xADDR", then function and file:line:col lines
for line in open(eu_out).read().split("\n"):
    if re.match(r"^0x[0-9a-f]+$", line):
        cur = []
        blocks.append(cur)
    elif cur is not None and re.search(r"^[^ ]+:\d+(:\d+)?$", line):
        loc = re.sub(r":(\d+):\d+$", r":\1", line)
        cur.append(loc[len(base) + 1:] if loc.startswith(base + "/") else loc)
# The blocks come per object file in frame order: vmlinux's, then veth's.
order = [i for i, f in enumerate(frames) if f[1] == "vmlinux"] + [i for i, f in enumerate(frames) if f[1] == "veth"]
eu = dict(zip(order, blocks))
resolved = outer = chain = 0
for i, (line_no, obj, addr, text) in enumerate(frames):
    n = int(line_no)
    if n >= len(decoded) or re.search(r"\+0x[0-9a-f]+/0x[0-9a-f]+", decoded[n]) or " (" not in decoded[n]:
        continue
    resolved += 1
    after = re.sub(r" \(discriminator \d+\)", "", decoded[n].split(" (", 1)[1])
    locs = re.findall(r"([^ ()]+:\d+)", after)
    mine = eu.get(i, [])
    outer += bool(locs and mine and locs[-1] == mine[-1])
    chain += locs == mine
print(resolved, outer, chain)
EOF
)

# --- ktriage symbolize ------------------------------------------------------------------------------
# >>> SLOT: ktriage symbolize (issue 4). Adjust the command line here once the command exists. <<<
kt_cmd=("${ktriage}" symbolize --vmlinux "${vmlinux}" --modules "${moddir}")
kt_t=NA; kt_rss=NA; kt_cold=NA; kt_note=""; kt_cold_note=""
if [[ -x "${ktriage}" ]] && "${kt_cmd[@]}" "${tmp}/first.txt" > "${tmp}/kt-first.out" 2> "${tmp}/kt-first.err"; then
  if read -r kt_t kt_rss < <(measure /dev/null "${tmp}/kt.out" "${runs}" "${kt_cmd[@]}" "${tmp}/log.txt"); then
    res="$(evict "${vmlinux}" "${veth_ko}")"
    read -r kt_cold _ < <(measure /dev/null "${tmp}/kt-first.out" 1 "${kt_cmd[@]}" "${tmp}/first.txt")
    kt_cold_note="$(cold_note "${res}")"
  else
    kt_t=NA; kt_note="ktriage symbolize failed on the log"
  fi
else
  kt_note="ktriage symbolize: not available ($(head -n 1 "${tmp}/kt-first.err" 2>/dev/null || echo "no binary at ${ktriage}"))"
fi
# <<< end of SLOT >>>

# The anchors' own cold start, for reference: eu-addr2line on one address after the same eviction.
res_eu="$(evict "${vmlinux}" "${veth_ko}")"
head -n 1 "${tmp}/vmlinux.addrs" > "${tmp}/one.addr"
read -r eu_cold _ < <(measure "${tmp}/one.addr" /dev/null 1 eu-addr2line -i -f -e "${vmlinux}")

mb() { [[ "$1" == NA ]] && echo NA || awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
fps() { [[ "$2" == NA ]] && echo NA || awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
echo "vmlinux: ${vmlinux} ($(du -h --apparent-size "${vmlinux}" | cut -f1)), modules: ${moddir}"
echo "log: ${n_frames} frames; decode_stacktrace.sh from ${src_pkg} ${src_version}"
printf '%-46s %8s %10s %10s %13s\n' "command (best of ${runs})" "frames" "wall s" "frames/s" "peak RSS MB"
printf '%-46s %8s %10s %10s %13s\n' "decode_stacktrace.sh (see below)" "${n_frames}" "${d_t}" "$(fps "${n_frames}" "${d_t}")" "$(mb "${d_rss}")"
printf '%-46s %8s %10s %10s %13s\n' "eu-addr2line -i -f (vmlinux, then veth.ko)" "${n_frames}" "${eu_t}" "$(fps "${n_frames}" "${eu_t}")" "$(mb "${eu_rss}")"
printf '%-46s %8s %10s %10s %13s\n' "ktriage symbolize" "${n_frames}" "${kt_t}" "$(fps "${n_frames}" "${kt_t}")" "$(mb "${kt_rss}")"
printf '%-46s %8s %10s  %s\n' "eu-addr2line, 1 frame, cold vmlinux" 1 "${eu_cold}" "$(cold_note "${res_eu}")"
printf '%-46s %8s %10s  %s\n' "ktriage symbolize, 1 frame, cold vmlinux" 1 "${kt_cold}" "${kt_cold_note}"
echo "decode_stacktrace.sh: ${decode_note}"
echo "resolved: decode_stacktrace.sh ${d_resolved}/${d_frames}, eu-addr2line $(( n_frames - eu_unresolved ))/${n_frames}"
echo "anchors agree on the ${d_resolved} frames decode_stacktrace.sh resolved: outermost file:line ${agree_outer}, whole inline chain ${agree_chain}"
if [[ "${kt_t}" == NA ]]; then
  echo "${kt_note}"
  echo "decode_stacktrace.sh / ktriage: NA (goal >= 50): not measured"
  echo "eu-addr2line / ktriage: NA (goal > 1): not measured"
  echo "ktriage first frame, cold: NA (goal < 1 s): not measured"
else
  r1=$(awk -v a="${d_t}" -v b="${kt_t}" 'BEGIN { printf "%.1f", a / b }')
  r2=$(awk -v a="${eu_t}" -v b="${kt_t}" 'BEGIN { printf "%.2f", a / b }')
  echo "decode_stacktrace.sh / ktriage: ${r1} (goal >= 50): $(awk -v r="${r1}" 'BEGIN { print (r >= 50 ? "met" : "MISSED") }')"
  echo "eu-addr2line / ktriage: ${r2} (goal > 1): $(awk -v r="${r2}" 'BEGIN { print (r > 1 ? "met" : "MISSED") }')"
  if [[ "${kt_cold_note}" == cold ]]; then
    echo "ktriage first frame, cold: ${kt_cold} s (goal < 1 s): $(awk -v t="${kt_cold}" 'BEGIN { print (t < 1 ? "met" : "MISSED") }')"
  else
    echo "ktriage first frame: ${kt_cold} s (goal < 1 s cold): not measured cold (${kt_cold_note})"
  fi
fi
echo "result: frames=${n_frames} decode_stacktrace_s=${d_t} decode_scaled=$([[ "${d_frames}" == "${n_frames}" ]] && echo no || echo yes) eu_addr2line_s=${eu_t} eu_addr2line_cold_s=${eu_cold} ktriage_s=${kt_t} ktriage_cold_first_frame_s=${kt_cold} ktriage_rss_kb=${kt_rss}"

# --- llvm-symbolizer, the strongest anchor: the same vmlinux addresses ---------------------------
# Warm: best of N with vmlinux in the page cache; cold: one run after evicting it.
echo "llvm-symbolizer --inlining against ktriage symbolize, the same vmlinux addresses:"
printf '%-10s %-6s %12s %12s %8s\n' "frames" "cache" "llvm s" "ktriage s" "ratio"
llvm_ratio_2000=NA
for count in 1 100 2000; do
  [[ -s "${tmp}/llvm-${count}.addrs" ]] || continue
  got="$(wc -l < "${tmp}/llvm-${count}.addrs")"
  for state in warm cold; do
    if [[ "${state}" == warm ]]; then
      cat "${vmlinux}" > /dev/null
      read -r l_t _ < <(measure "${tmp}/llvm-${count}.addrs" "${tmp}/llvm.out" "${runs}" llvm-symbolizer --inlining --obj="${vmlinux}")
      read -r k_t _ < <(measure /dev/null "${tmp}/kt-llvm.out" "${runs}" "${kt_cmd[@]}" "${tmp}/llvm-${count}.log")
    else
      res="$(evict "${vmlinux}")"
      read -r l_t _ < <(measure "${tmp}/llvm-${count}.addrs" "${tmp}/llvm.out" 1 llvm-symbolizer --inlining --obj="${vmlinux}")
      res="$(evict "${vmlinux}")"
      read -r k_t _ < <(measure /dev/null "${tmp}/kt-llvm.out" 1 "${kt_cmd[@]}" "${tmp}/llvm-${count}.log")
      [[ "$(cold_note "${res}")" == cold ]] || state="cold?"
    fi
    ratio=$(awk -v a="${l_t}" -v b="${k_t}" 'BEGIN { printf "%.2f", a / b }')
    printf '%-10s %-6s %12s %12s %8s\n' "${got}" "${state}" "${l_t}" "${k_t}" "${ratio}"
    [[ "${count}" == 2000 && "${state}" == warm ]] && llvm_ratio_2000="${ratio}"
  done
done
echo "llvm-symbolizer / ktriage, 2,000 frames, warm: ${llvm_ratio_2000} (goal >= 2): $(awk -v r="${llvm_ratio_2000}" 'BEGIN { print (r + 0 >= 2 ? "met" : "MISSED") }')"
