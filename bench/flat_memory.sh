#!/usr/bin/env bash
# Memory per input: `ktriage analyze --format json` and `ktriage triage --no-db` of crash-dense logs
# of each size (bench/crash_dense.sh, streamed through a pipe or a FIFO, never stored), plain and
# gzip-compressed, with their peak RSS; then a 2 MB zstd file of 1,000 frames of zeros (20 GB
# expanded) beside a real log: stopped by the default limits with a message naming it, the log
# still analysed.
#
#   bench/flat_memory.sh [--ktriage PATH] [--sizes "100 1024 10240"] [--check]
#
# Goals (issue 15): peak RSS of every size within 10% of the smallest's and under 128 MB; the bomb
# stopped in seconds. --check exits 1 when a goal is missed (the ctest smoke runs small sizes).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ktriage="${root}/build/analyzer/cli/ktriage"
sizes="100 1024 10240"
check=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ktriage) ktriage="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --check) check=1; shift ;;
    -h|--help) sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "flat_memory.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -x "${ktriage}" ]] || { echo "flat_memory.sh: no ktriage binary at ${ktriage}" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
gen="${root}/bench/crash_dense.sh"

# Peak RSS in KB and seconds of one command reading the stream on stdin or as the FIFO "$tmp/in".
run() {  # MODE(analyze|triage) COMPRESS(plain|gzip) SIZE_MB
  local mode="$1" compress="$2" size="$3" filter=cat
  [[ "${compress}" == gzip ]] && filter="gzip -1"
  rm -f "${tmp}/in"
  mkfifo "${tmp}/in"
  ( "${gen}" "${size}" | ${filter} > "${tmp}/in" ) &
  local start end
  start=$(date +%s.%N)
  if [[ "${mode}" == analyze ]]; then
    /usr/bin/time -f '%M' -o "${tmp}/rss" "${ktriage}" analyze --format json "${tmp}/in" > /dev/null 2> "${tmp}/err" || true
  else
    /usr/bin/time -f '%M' -o "${tmp}/rss" "${ktriage}" triage --no-db --jobs 1 "${tmp}/in" > /dev/null 2> "${tmp}/err" || true
  fi
  end=$(date +%s.%N)
  wait
  echo "$(tail -n 1 "${tmp}/rss") $(awk -v a="${start}" -v b="${end}" 'BEGIN { printf "%.1f", b - a }')"
}

missed=0
printf '%-10s %-6s %10s %12s %10s %8s\n' command input size_MB peak_RSS_MB seconds vs_first
for mode in analyze triage; do
  for compress in plain gzip; do
    first=""
    for size in ${sizes}; do
      read -r rss secs < <(run "${mode}" "${compress}" "${size}")
      [[ -z "${first}" ]] && first="${rss}"
      ratio=$(awk -v a="${rss}" -v b="${first}" 'BEGIN { printf "%.3f", a / b }')
      printf '%-10s %-6s %10s %12.1f %10s %8s\n' "${mode}" "${compress}" "${size}" "$(awk -v k="${rss}" 'BEGIN { print k / 1024 }')" "${secs}" "${ratio}"
      if awk -v r="${ratio}" -v k="${rss}" 'BEGIN { exit !(r > 1.10 || k > 128 * 1024) }'; then
        echo "  MISSED: peak RSS more than 10% over the smallest size's, or over 128 MB" >&2
        missed=1
      fi
    done
  done
done

# The bomb: 1,000 zstd frames of 20 MiB of zeros, beside a real log.
mkdir -p "${tmp}/bomb"
head -c 20M /dev/zero | zstd -q -c > "${tmp}/frame.zst"
for (( i = 0; i < 1000; i++ )); do cat "${tmp}/frame.zst"; done > "${tmp}/bomb/kern.log.zst"
cp "${root}/corpora/samples/veth-softlockup.log" "${tmp}/bomb/kern.log"
for mode in analyze triage; do
  start=$(date +%s.%N)
  if [[ "${mode}" == analyze ]]; then
    /usr/bin/time -f '%M' -o "${tmp}/rss" "${ktriage}" analyze "${tmp}/bomb/kern.log.zst" "${tmp}/bomb/kern.log" > "${tmp}/out" 2> "${tmp}/err" || true
  else
    /usr/bin/time -f '%M' -o "${tmp}/rss" "${ktriage}" triage --no-db "${tmp}/bomb" > "${tmp}/out" 2> "${tmp}/err" || true
  fi
  end=$(date +%s.%N)
  secs=$(awk -v a="${start}" -v b="${end}" 'BEGIN { printf "%.2f", b - a }')
  stopped=$(grep -c "kern.log.zst: expands more than" "${tmp}/err" || true)
  analysed=$(grep -c "soft lockup\|softlockup" "${tmp}/out" || true)
  echo "bomb ${mode}: ${secs} s, peak RSS $(( $(tail -n 1 "${tmp}/rss") / 1024 )) MB, stopped with a named message: $([[ ${stopped} -ge 1 ]] && echo yes || echo NO), the real log analysed: $([[ ${analysed} -ge 1 ]] && echo yes || echo NO)"
  [[ ${stopped} -ge 1 && ${analysed} -ge 1 ]] || missed=1
done
[[ ${check} -eq 0 || ${missed} -eq 0 ]]
