#!/usr/bin/env bash
# Streaming benchmark: `ktriage analyze --format json` on a >= 1 GB kernel log, against
# `grep -c 'Call Trace'` on the same file in the same run (the anchor), on one core.
#
#   bench/stream_log.sh [--ktriage PATH] [--baseline PATH] [--size-mb N] [--cache-dir DIR]
#                       [--mix fleet|dense|syzkaller] [--smoke]
#
# The log is the corpora (syzkaller report bodies, ABRT oops logs) with realistic kernel noise
# between them, repeated to the size asked. It is cached under ~/.cache/ktriage/bench/, keyed by
# a hash of this script, its inputs and the mix, so it is only rebuilt when one changes.
# --mix fleet (default): 1,500 to 2,500 lines of host chatter (~200 KB) between two crash logs,
#   a crash every ~200 KB: denser than a real host's kern.log, where days pass between crashes.
# --mix dense: 10 to 70 lines between crash logs: nearly all of the log is crash reports (the
#   worst case for ktriage, whose cost is per report; reported, not the goal's measure).
# --mix syzkaller: the syzkaller reports alone, back to back: a fuzzing fleet's console, or a
#   machine in a crash loop.
# --baseline PATH: another ktriage (an earlier build) measured on the same log in the same run,
#   for before/after figures.
# --smoke: a 20 MB log, and a failure unless every figure is a number (ctest runs this).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ktriage="${root}/build/analyzer/cli/ktriage"
baseline=""
size_mb=1024
cache_dir="${XDG_CACHE_HOME:-${HOME}/.cache}/ktriage/bench"
smoke=0
mix=fleet

usage() { sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ktriage) ktriage="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    --size-mb) size_mb="$2"; shift 2 ;;
    --cache-dir) cache_dir="$2"; shift 2 ;;
    --mix) mix="$2"; shift 2 ;;
    --smoke) smoke=1; size_mb=20; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "stream_log.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "${mix}" in
  fleet) noise_min=1500; noise_span=1000 ;;
  dense) noise_min=10; noise_span=60 ;;
  syzkaller) noise_min=0; noise_span=0 ;;
  *) echo "stream_log.sh: --mix is fleet, dense or syzkaller, not '${mix}'" >&2; exit 2 ;;
esac
[[ "${size_mb}" =~ ^[0-9]+$ && "${size_mb}" -gt 0 ]] || { echo "stream_log.sh: --size-mb needs a positive integer" >&2; exit 2; }
[[ -x "${ktriage}" ]] || { echo "stream_log.sh: no ktriage binary at ${ktriage} (run 'make build')" >&2; exit 2; }
[[ -z "${baseline}" || -x "${baseline}" ]] || { echo "stream_log.sh: no baseline binary at ${baseline}" >&2; exit 2; }
for tool in /usr/bin/time sha256sum awk grep; do
  command -v "${tool}" >/dev/null || { echo "stream_log.sh: ${tool} is missing (scripts/install-deps.sh)" >&2; exit 2; }
done

# --- the log ------------------------------------------------------------------------------
mapfile -t syz_files < <(find "${root}/corpora/syzkaller-report" -maxdepth 1 -type f | LC_ALL=C sort)
mapfile -t abrt_files < <(find "${root}/corpora/abrt-examples" -maxdepth 1 -type f -name '*.test' | LC_ALL=C sort)
[[ ${#syz_files[@]} -gt 0 && ${#abrt_files[@]} -gt 0 ]] || { echo "stream_log.sh: corpora not found under ${root}/corpora" >&2; exit 2; }
[[ "${mix}" != syzkaller ]] || abrt_files=()

key="$( { cat "${BASH_SOURCE[0]}"; echo "mix=${mix}"; for f in "${syz_files[@]}" "${abrt_files[@]}"; do echo "${f#"${root}"/}"; cat "${f}"; done; } | sha256sum | cut -c1-16)"
log="${cache_dir}/stream-${mix}-${key}-${size_mb}MB.log"
mkdir -p "${cache_dir}"

if [[ ! -s "${log}" ]]; then
  # Older logs of this size are dead weight (a gigabyte each) once the key has changed.
  find "${cache_dir}" -maxdepth 1 -name "stream-${mix}-*-${size_mb}MB.log" ! -name "$(basename "${log}")" -delete
  tmp="$(mktemp "${cache_dir}/.building.XXXXXX")"
  unit="${tmp}.unit"
  trap 'rm -f "${tmp}" "${unit}"' EXIT
  echo "stream_log.sh: building ${size_mb} MB log ${log}" >&2
  # One "unit": every corpus log once, with noise lines (the chatter of a busy host) between
  # any two: as many as the mix says. syzkaller files lose their header (up to the first empty line) and the
  # expected report (from "REPORT:" on), which are test answers, not log.
  awk -v seed=1 -v nmin="${noise_min}" -v nspan="${noise_span}" '
    BEGIN { srand(seed); t = 10.0 }
    function hex(n) { return sprintf("%x", int(rand() * n)) }
    function stamp() { t += rand() * 0.8; return sprintf("[%5d.%06d] ", int(t), int((t - int(t)) * 1000000)) }
    function noise(   r, i, n) {
      n = nmin + int(rand() * nspan)
      for (i = 0; i < n; i++) {
        r = int(rand() * 14)
        if (r == 0) printf "%saudit: type=1400 audit(1763%06d.%03d:%d): apparmor=\"DENIED\" operation=\"open\" class=\"file\" profile=\"snap.lxd.daemon\" name=\"/proc/%d/mountinfo\" pid=%d comm=\"lxd\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0\n", stamp(), int(rand() * 999999), int(rand() * 999), int(rand() * 99999), int(rand() * 32768), int(rand() * 32768)
        else if (r == 1) printf "%sIPv6: ADDRCONF(NETDEV_CHANGE): veth%s: link becomes ready\n", stamp(), hex(16777216)
        else if (r == 2) printf "%sdocker0: port %d(veth%s) entered forwarding state\n", stamp(), 1 + int(rand() * 30), hex(16777216)
        else if (r == 3) printf "%sdocker0: port %d(veth%s) entered disabled state\n", stamp(), 1 + int(rand() * 30), hex(16777216)
        else if (r == 4) printf "%sdevice veth%s entered promiscuous mode\n", stamp(), hex(16777216)
        else if (r == 5) printf "%s[UFW BLOCK] IN=ens3 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=10.%d.%d.%d DST=10.0.0.5 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=%d DF PROTO=TCP SPT=%d DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0\n", stamp(), int(rand() * 255), int(rand() * 255), int(rand() * 255), int(rand() * 65535), 1024 + int(rand() * 60000)
        else if (r == 6) printf "%sEXT4-fs (dm-%d): mounted filesystem with ordered data mode. Quota mode: none.\n", stamp(), int(rand() * 8)
        else if (r == 7) printf "%soverlayfs: fs on \x27/var/lib/docker/overlay2/l/%s%s\x27 does not support file handles, falling back to xino=off.\n", stamp(), hex(2147483647), hex(2147483647)
        else if (r == 8) printf "%sperf: interrupt took too long (%d > %d), lowering kernel.perf_event_max_sample_rate to %d\n", stamp(), 2500 + int(rand() * 5000), 2500, 25000 + int(rand() * 50000)
        else if (r == 9) printf "%skauditd_printk_skb: %d callbacks suppressed\n", stamp(), 1 + int(rand() * 40)
        else if (r == 10) printf "%snf_conntrack: nf_conntrack: table full, dropping packet\n", stamp()
        else if (r == 11) printf "%sTCP: request_sock_TCP: Possible SYN flooding on port %d. Sending cookies.  Check SNMP counters.\n", stamp(), 1024 + int(rand() * 60000)
        else if (r == 12) printf "%ssystemd-journald[%d]: /var/log/journal/%s%s/system.journal: Journal header limits reached or header out-of-date, rotating.\n", stamp(), 200 + int(rand() * 400), hex(2147483647), hex(2147483647)
        else printf "%smlx5_core 0000:3b:00.%d ens1f%d: Link up\n", stamp(), int(rand() * 2), int(rand() * 2)
      }
    }
    FNR == 1 { noise(); body = (FILENAME !~ /syzkaller-report/) }
    !body && /^$/ { body = 1; next }
    body && /^REPORT:/ { body = 0; skip = 1 }
    FNR == 1 { skip = 0 }
    body && !skip { print }
  ' "${syz_files[@]}" "${abrt_files[@]}" > "${unit}"
  target=$(( size_mb * 1024 * 1024 ))
  unit_bytes=$(stat -c %s "${unit}")
  copies=$(( (target + unit_bytes - 1) / unit_bytes ))
  for (( i = 0; i < copies; i++ )); do cat "${unit}"; done > "${tmp}"
  mv "${tmp}" "${log}"
  rm -f "${unit}"
  trap - EXIT
fi

# --- the measurements ----------------------------------------------------------------------
bytes=$(stat -c %s "${log}")
mb=$(awk -v b="${bytes}" 'BEGIN { printf "%.1f", b / 1048576 }')
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
cat "${log}" > /dev/null  # both tools read from the page cache, not the disk

now() { date +%s.%N; }
timefile="$(mktemp)"
countfile="$(mktemp)"
trap 'rm -f "${timefile}" "${countfile}"' EXIT

# Runs a command (after "--") on one pinned core with its stdout to OUT; fails the benchmark when it
# exits above MAX_STATUS. Sets run_wall (s) and run_rss_kb.   measure OUT MAX_STATUS -- COMMAND...
measure() {
  local out="$1" max_status="$2" start end status
  shift 3
  start=$(now)
  set +e
  "${pin[@]}" /usr/bin/time -v -o "${timefile}" "$@" > "${out}"
  status=$?
  set -e
  end=$(now)
  [[ ${status} -le ${max_status} ]] || { echo "stream_log.sh: \"$*\" exited ${status}" >&2; exit 1; }
  run_wall=$(awk -v a="${start}" -v b="${end}" 'BEGIN { printf "%.3f", b - a }')
  run_rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "${timefile}")
}
measure /dev/null 0 -- "${ktriage}" analyze --format json "${log}"
k_wall=${run_wall}
k_rss_kb=${run_rss_kb}
if [[ -n "${baseline}" ]]; then
  measure /dev/null 0 -- "${baseline}" analyze --format json "${log}"
  b_wall=${run_wall}
  b_rss_kb=${run_rss_kb}
fi
# Into a file, not /dev/null: GNU grep treats a /dev/null stdout like -q and stops at the first
# match. Its status 1 (no match) is not a failure.
measure "${countfile}" 1 -- env LC_ALL=C grep -c 'Call Trace' "${log}"
g_wall=${run_wall}
g_rss_kb=${run_rss_kb}

k_mbs=$(awk -v m="${mb}" -v w="${k_wall}" 'BEGIN { printf "%.1f", m / (w > 0 ? w : 0.001) }')
g_mbs=$(awk -v m="${mb}" -v w="${g_wall}" 'BEGIN { printf "%.1f", m / (w > 0 ? w : 0.001) }')
ratio=$(awk -v k="${k_mbs}" -v g="${g_mbs}" 'BEGIN { printf "%.3f", k / (g > 0 ? g : 0.001) }')
k_rss=$(awk -v k="${k_rss_kb}" 'BEGIN { printf "%.1f", k / 1024 }')
g_rss=$(awk -v k="${g_rss_kb}" 'BEGIN { printf "%.1f", k / 1024 }')
goal() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=") ? v >= t : v < t; print ok ? "met" : "MISSED" }'; }

echo "log: ${log} (${mb} MB, mix ${mix})"
echo "cpu: ${pin[*]:-unpinned}, $(nproc) online"
printf '%-36s %10s %9s %13s\n' "command" "MB/s" "wall s" "peak RSS MB"
printf '%-36s %10s %9s %13s\n' "ktriage analyze --format json" "${k_mbs}" "${k_wall}" "${k_rss}"
if [[ -n "${baseline}" ]]; then
  b_mbs=$(awk -v m="${mb}" -v w="${b_wall}" 'BEGIN { printf "%.1f", m / (w > 0 ? w : 0.001) }')
  printf '%-36s %10s %9s %13s\n' "baseline analyze --format json" "${b_mbs}" "${b_wall}" \
    "$(awk -v k="${b_rss_kb}" 'BEGIN { printf "%.1f", k / 1024 }')"
fi
printf '%-36s %10s %9s %13s\n' "grep -c 'Call Trace'" "${g_mbs}" "${g_wall}" "${g_rss}"
echo "grep found $(cat "${countfile}") 'Call Trace' lines"
case "${mix}" in
  fleet) echo "goal >= 500 MB/s on one core: $(goal "${k_mbs}" 500 '>=')" ;;
  syzkaller) echo "goal >= 150 MB/s on one core: $(goal "${k_mbs}" 150 '>=')" ;;
  *) echo "goal: none for --mix dense (the worst case; reported)" ;;
esac
echo "goal peak RSS < 100 MB: $(goal "${k_rss}" 100 '<')"
if [[ -n "${baseline}" ]]; then
  echo "ratio ktriage/baseline (MB/s): $(awk -v k="${k_mbs}" -v b="${b_mbs}" 'BEGIN { printf "%.3f", k / (b > 0 ? b : 0.001) }')"
fi
echo "result: mix=${mix} ktriage_mb_per_s=${k_mbs} ktriage_peak_rss_mb=${k_rss} grep_mb_per_s=${g_mbs} ratio=${ratio}"
echo "ratio ktriage/grep (MB/s): ${ratio}"

if [[ ${smoke} -eq 1 ]]; then
  for v in "${k_mbs}" "${g_mbs}" "${k_rss}" "${ratio}"; do
    [[ "${v}" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "stream_log.sh: smoke: '${v}' is not a number" >&2; exit 1; }
  done
  awk -v m="${mb}" 'BEGIN { exit !(m >= 20) }' || { echo "stream_log.sh: smoke: log is only ${mb} MB" >&2; exit 1; }
fi
