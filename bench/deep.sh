#!/usr/bin/env bash
# Deep dump analysis benchmark: `ktriage analyze` of the soft-lockup dump with its debuginfo
# (every CPU's and blocked task's stack, namespaces, the log's reports and rules) against crash(8)
# given the same vmlinux and dump, starting up and printing `bt -a`, in the same run, with peak RSS.
#
#   bench/deep.sh [--ktriage PATH] [--runs N]
#
# The dump is the nokaslr kdump-compressed soft-lockup dump of corpora/dumps/make-dumps.sh (crash
# 8.0.2 cannot read the KASLR ones); the vmlinux is corpora/debuginfo/make-debuginfo.sh's. Goal:
# ktriage at least 3x faster than crash.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ktriage="${root}/build/analyzer/cli/ktriage"
runs=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ktriage) ktriage="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "deep.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
command -v crash >/dev/null || { echo "deep.sh: crash is missing (scripts/install-deps.sh)" >&2; exit 2; }
[[ -x "${ktriage}" ]] || { echo "deep.sh: no ktriage binary at ${ktriage}" >&2; exit 2; }
dumps="$("${root}/corpora/dumps/make-dumps.sh" --scenario veth-softlockup | tail -n 1)"
dump="${dumps}/veth-softlockup-nokaslr/vmcore.kdump-zlib"
debuginfo="$("${root}/corpora/debuginfo/make-debuginfo.sh" | tail -n 1)"
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

read -r c_t c_rss < <(measure crash -s "${vmlinux}" "${dump}" -i "${tmp}/cmds")
crash_frames=$(grep -c '^ *#[0-9]' "${tmp}/out" || true)
read -r k_t k_rss < <(measure "${ktriage}" analyze --format json --debug-root "${debug_root}" "${dump}")
kt_frames=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["inputs"][0]["deep"]; print(sum(len(c["frames"]) for c in d["cpus"]))' "${tmp}/out")
read -r b_t b_rss < <(measure "${ktriage}" bt --debug-root "${debug_root}" "${dump}")

echo "dump: ${dump}"
printf '%-48s %8s %12s %8s\n' "command (best of ${runs})" "wall s" "peak RSS MB" "frames"
printf '%-48s %8s %12.1f %8s\n' "crash -s vmlinux dump; bt -a" "${c_t}" "$(awk -v k="${c_rss}" 'BEGIN { print k / 1024 }')" "${crash_frames}"
printf '%-48s %8s %12.1f %8s\n' "ktriage analyze (deep, rules, symbols)" "${k_t}" "$(awk -v k="${k_rss}" 'BEGIN { print k / 1024 }')" "${kt_frames}"
printf '%-48s %8s %12.1f\n' "ktriage bt" "${b_t}" "$(awk -v k="${b_rss}" 'BEGIN { print k / 1024 }')"
ratio=$(awk -v a="${c_t}" -v b="${k_t}" 'BEGIN { printf "%.1f", a / b }')
echo "crash / ktriage analyze: ${ratio}x (goal >= 3x): $(awk -v r="${ratio}" 'BEGIN { print (r >= 3 ? "met" : "MISSED") }')"
echo "result: crash_s=${c_t} analyze_s=${k_t} bt_s=${b_t} crash_rss_kb=${c_rss} analyze_rss_kb=${k_rss}"
