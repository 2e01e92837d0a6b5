#!/usr/bin/env bash
# Deep dump analysis benchmark: `ktriage analyze` of a scenario's dump with its debuginfo (every
# CPU's and blocked task's stack, namespaces, the task table, run queues, RCU, lock chains, memory
# and slab caches, the log's reports and rules) and from the dump
# alone (no debuginfo anywhere: its own BTF, kallsyms and ORC) against crash(8) given the vmlinux
# (which it cannot do without) and the dump, starting up and printing `bt -a`, in the same run,
# with peak RSS.
#
#   bench/deep.sh [--ktriage PATH] [--runs N] [--family NAME] [--scenario NAME]
#
# The dump is the nokaslr dump of a scenario (default veth-softlockup) of a family of
# corpora/families.txt (default: the
# reference one; crash 8.0.2 cannot read the KASLR ones): kdump-compressed, or ELF where QEMU's
# kdump output is not readable (arm64); the vmlinux is corpora/debuginfo/make-debuginfo.sh's.
# Goals, where crash reads the dump at all: ktriage with debuginfo (every analysis) at least 10x
# faster than crash; from the dump alone at least 20x faster, under 150 MB peak RSS.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ktriage="${root}/build/analyzer/cli/ktriage"
runs=3
family=""
scenario=veth-softlockup
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ktriage) ktriage="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --family) family="$2"; shift 2 ;;
    --scenario) scenario="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deep.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
command -v crash >/dev/null || { echo "deep.sh: crash is missing (scripts/install-deps.sh)" >&2; exit 2; }
[[ -x "${ktriage}" ]] || { echo "deep.sh: no ktriage binary at ${ktriage}" >&2; exit 2; }
. "${root}/corpora/family.sh"
load_family "${family}" || exit 2
dumps="$("${root}/corpora/dumps/make-dumps.sh" --family "${FAMILY}" --scenario "${scenario}" | tail -n 1)"
dump_file=vmcore.kdump-zlib
[[ "${ARCH}" != arm64 ]] || dump_file=vmcore.elf  # QEMU's arm64 kdump files: docs/compatibility.md
dump="${dumps}/${scenario}-nokaslr/${dump_file}"
debuginfo="$("${root}/corpora/debuginfo/make-debuginfo.sh" --family "${FAMILY}" | tail -n 1)"
debug_root="${debuginfo}/usr/lib/debug"
vmlinux="$(ls "${debug_root}"/boot/vmlinux-* | head -n 1)"

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
cat "${dump}" "${vmlinux}" > /dev/null  # page cache for both tools alike
printf 'bt -a\nquit\n' > "${tmp}/cmds"

measure() {
  local best="" t
  for (( i = 0; i < runs; i++ )); do
    local start end
    start=$(date +%s.%N)
    /usr/bin/time -f '%M' -o "${tmp}/rss" "$@" > "${tmp}/out" 2> "${tmp}/err" || { cat "${tmp}/err" >&2; return 1; }
    end=$(date +%s.%N)
    t=$(awk -v a="${start}" -v b="${end}" 'BEGIN { printf "%.3f", b - a }')
    if [[ -z "${best}" ]] || awk -v t="${t}" -v b="${best}" 'BEGIN { exit !(t < b) }'; then best="${t}"; fi
  done
  echo "${best} $(tail -n 1 "${tmp}/rss")"
}

# crash is measured where it reads the dump: it must print a stack.
c_t="" c_rss="" crash_frames=0
if read -r c_t c_rss < <(measure crash -s "${vmlinux}" "${dump}" -i "${tmp}/cmds" 2> /dev/null); then
  crash_frames=$(grep -c '^ *#[0-9]' "${tmp}/out" || true)
fi
crash_error="$(grep -m 1 '^crash: ' "${tmp}/out" "${tmp}/err" 2> /dev/null | sed 's/^[^:]*://' || true)"
if [[ -z "${c_t}" || "${crash_frames}" = 0 ]]; then c_t=""; fi
read -r k_t k_rss < <(measure "${ktriage}" analyze --format json --debug-root "${debug_root}" "${dump}")
kt_frames=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["inputs"][0]["deep"]; print(sum(len(c["frames"]) for c in d["cpus"]) if d else 0)' "${tmp}/out")
# What the kernel state analyses found, so that the time is known to include them.
state="$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["inputs"][0]["deep"]
s = d["state"] if d else None
if not s: print("none"); sys.exit()
print("%d tasks, %d run queues, %d locks, %s slab caches, memory %s, %d findings%s" % (len(s["ps"]), len(s["run_queues"]),
      len(s["locks"]), (s["slab_caches"] or {}).get("count", 0), "read" if s["memory"] else "unread", len(s["findings"]),
      "".join("; " + f["kind"] for f in s["findings"])))' "${tmp}/out")"
n_t="" n_rss="" n_frames=0
empty_root="${tmp}/no-debuginfo"
mkdir -p "${empty_root}"
if read -r n_t n_rss < <(measure env -u DEBUGINFOD_URLS "${ktriage}" analyze --format json --debug-root "${empty_root}" "${dump}"); then
  n_frames=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["inputs"][0]["deep"]; print(sum(len(c["frames"]) for c in d["cpus"]) if d else 0)' "${tmp}/out")
fi
b_t="" b_rss=""
read -r b_t b_rss < <(measure "${ktriage}" bt --debug-root "${debug_root}" "${dump}" 2> /dev/null) || true

echo "family: ${FAMILY}  dump: ${dump}"
echo "kernel state read by analyze: ${state}"
printf '%-48s %8s %12s %8s\n' "command (best of ${runs})" "wall s" "peak RSS MB" "frames"
if [[ -n "${c_t}" ]]; then
  printf '%-48s %8s %12.1f %8s\n' "crash -s vmlinux dump; bt -a" "${c_t}" "$(awk -v k="${c_rss}" 'BEGIN { print k / 1024 }')" "${crash_frames}"
else
  printf '%-48s %s\n' "crash -s vmlinux dump; bt -a" "cannot read this dump:${crash_error:- no stack printed}"
fi
printf '%-48s %8s %12.1f %8s\n' "ktriage analyze (deep, rules, symbols)" "${k_t}" "$(awk -v k="${k_rss}" 'BEGIN { print k / 1024 }')" "${kt_frames}"
if [[ -n "${n_t}" && "${n_frames}" != 0 ]]; then
  printf '%-48s %8s %12.1f %8s\n' "ktriage analyze, no debuginfo (BTF, kallsyms)" "${n_t}" "$(awk -v k="${n_rss}" 'BEGIN { print k / 1024 }')" "${n_frames}"
else
  printf '%-48s %s\n' "ktriage analyze, no debuginfo (BTF, kallsyms)" "no deep analyses from the dump alone (docs/compatibility.md)"
  n_t=""
fi
if [[ -n "${b_t}" ]]; then
  printf '%-48s %8s %12.1f\n' "ktriage bt" "${b_t}" "$(awk -v k="${b_rss}" 'BEGIN { print k / 1024 }')"
else
  printf '%-48s %s\n' "ktriage bt" "refused: $(cat "${tmp}/err" 2> /dev/null | head -n 1)"
fi
if [[ -n "${c_t}" ]]; then
  ratio=$(awk -v a="${c_t}" -v b="${k_t}" 'BEGIN { printf "%.1f", a / b }')
  echo "crash / ktriage analyze: ${ratio}x (goal >= 10x): $(awk -v r="${ratio}" 'BEGIN { print (r >= 10 ? "met" : "MISSED") }')"
  if [[ -n "${n_t}" ]]; then
    ratio_n=$(awk -v a="${c_t}" -v b="${n_t}" 'BEGIN { printf "%.1f", a / b }')
    echo "crash / ktriage analyze without debuginfo: ${ratio_n}x (goal >= 20x, RSS < 150 MB): $(awk -v r="${ratio_n}" -v m="${n_rss}" 'BEGIN { print (r >= 20 && m < 150 * 1024 ? "met" : "MISSED") }')"
  fi
else
  echo "crash / ktriage analyze: no ratio (crash cannot read this dump)"
fi
echo "result: family=${FAMILY} crash_s=${c_t:-none} analyze_s=${k_t} nodebuginfo_s=${n_t:-none} bt_s=${b_t:-none} crash_rss_kb=${c_rss:-none} analyze_rss_kb=${k_rss} nodebuginfo_rss_kb=${n_rss:-none}"
