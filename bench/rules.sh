#!/usr/bin/env bash
# Rule-engine benchmark: `ktriage analyze --format json --rules X` on a >= 1 GB kernel log, on
# one core, with no rules (the baseline: an empty rules directory), the shipped rules, and 10 and
# 1,000 generated rules, all in the same run.
#
#   bench/rules.sh [--ktriage PATH] [--size-mb N] [--cache-dir DIR] [--runs N] [--smoke]
#
# The log is bench/stream_log.sh's fleet mix (the corpora's crash logs with host chatter between
# them), which that script builds and caches under ~/.cache/ktriage/bench/ keyed by a hash of its
# generator and inputs; this script only asks for it. The rules are generated here: distinct
# driver-like line patterns with literals (`\bxyz_driver_N\b.*timeout`), some with named
# captures, counts and two-step sequences, and one report condition in twenty. The 10-rule file is
# the first ten of the 1,000. Goals (issue 5): 1,000 rules at least half the throughput of 10
# rules; the shipped set at least 200 MB/s on one core.
# --smoke: a 20 MB log, one run, and a failure unless every figure is a number.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ktriage="${root}/build/analyzer/cli/ktriage"
size_mb=1024
cache_dir="${XDG_CACHE_HOME:-${HOME}/.cache}/ktriage/bench"
runs=2
smoke=0

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ktriage) ktriage="$2"; shift 2 ;;
    --size-mb) size_mb="$2"; shift 2 ;;
    --cache-dir) cache_dir="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --smoke) smoke=1; size_mb=20; runs=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "rules.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ "${runs}" =~ ^[1-9][0-9]*$ ]] || { echo "rules.sh: --runs needs a positive integer" >&2; exit 2; }
[[ -x "${ktriage}" ]] || { echo "rules.sh: no ktriage binary at ${ktriage} (run 'make build')" >&2; exit 2; }
ktriage="$(cd "$(dirname "${ktriage}")" && pwd)/$(basename "${ktriage}")"

# --- the log: stream_log.sh's generator and cache (it measures itself too; that output is dropped)
log="$("${root}/bench/stream_log.sh" --ktriage "${ktriage}" --mix fleet --size-mb "${size_mb}" --cache-dir "${cache_dir}" |
       sed -n 's/^log: \(.*\) ([0-9.]* MB, mix fleet)$/\1/p')"
[[ -s "${log}" ]] || { echo "rules.sh: bench/stream_log.sh did not give a log" >&2; exit 1; }

# --- the rules -----------------------------------------------------------------------------
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
mkdir -p "${tmp}/none" "${tmp}/r10" "${tmp}/r1000"

# Rule i: a driver-like name (a real driver's stem and i, so that every pattern has its own
# literal) in one of eight line shapes; every twentieth rule also looks at the reports.
awk -v n=1000 '
  BEGIN {
    split("mlx5_core ixgbe i40e ice bnxt_en ena virtio_net nvme megaraid_sas mpt3sas hpsa qla2xxx lpfc be2net tg3 e1000e igc r8169 ath11k iwlwifi amdgpu i915 nouveau xhci_hcd ahci sd_mod dm_crypt raid1 xfs ext4 btrfs nfs cifs fuse overlay zfs vfio_pci kvm_intel bridge vxlan", stems, " ")
    printf "rules:\n"
    for (i = 1; i <= n; i++) {
      name = stems[1 + (i - 1) % 40] "_drv" i
      shape = i % 8
      printf "  - id: bench.generated.rule-%04d\n", i
      printf "    title: generated rule %d (%s)\n", i, name
      printf "    severity: %s\n", (i % 3 == 0 ? "high" : "medium")
      printf "    tags: [bench, %s]\n", stems[1 + (i - 1) % 40]
      if (i % 20 == 0) {
        printf "    summary: \"%s: {kind} in {guilty_frame}\"\n", name
        printf "    match:\n      all:\n"
        printf "        - report: {kind: [warning, bug, oops], frames: {any: [%s_xmit, %s_poll], top: 12}}\n", name, name
        printf "        - line: {pattern: '\''\\b%s\\b.*(timeout|timed out)'\'', within: {seconds: 30}}\n", name
        continue
      }
      printf "    match:\n"
      if (shape == 0) printf "      line: '\''\\b%s\\b.*timeout'\''\n", name
      else if (shape == 1) printf "      line: '\''%s [0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.\\d: (?P<event>reset|hang|fault) on queue (?P<queue>\\d+)'\''\n", name
      else if (shape == 2) printf "      line: '\''%s: firmware error 0x(?P<code>[0-9a-f]+) in state \\d+'\''\n", name
      else if (shape == 3) printf "      count: {pattern: '\''%s: tx ring (?P<ring>\\d+) full'\'', at_least: 5, by: [ring]}\n", name
      else if (shape == 4) printf "      sequence:\n        within: {seconds: 10}\n        same: [dev]\n        steps:\n          - '\''%s (?P<dev>\\S+): reset requested'\''\n          - '\''%s (?P<dev>\\S+): reset (failed|timed out)'\''\n", name, name
      else if (shape == 5) printf "      any:\n        - line: '\''%s: link (down|flapping) on port \\d+'\''\n        - line: '\''%s: lost carrier'\''\n", name, name
      else if (shape == 6) printf "      line: '\''^%s\\[\\d+\\]: segfault at [0-9a-f]+ ip [0-9a-f]+'\''\n", name
      else printf "      all:\n        - line: '\''%s: command 0x[0-9a-f]+ aborted'\''\n        - not: {line: '\''%s: recovered'\''}\n", name, name
    }
  }' > "${tmp}/r1000/generated.yaml"
# The first ten rules: the same file cut before rule 11.
awk '/^  - id: bench.generated.rule-0011$/ { exit } { print }' "${tmp}/r1000/generated.yaml" > "${tmp}/r10/generated.yaml"

for set in r10 r1000; do
  if ! "${ktriage}" rules lint "${tmp}/${set}" > "${tmp}/lint.txt"; then
    cat "${tmp}/lint.txt" >&2
    echo "rules.sh: the generated ${set} rules do not lint" >&2
    exit 1
  fi
done
shipped_count=$("${ktriage}" rules list "${root}/rules/shipped" 2> /dev/null | tail -n 1 | awk '{ print $1 }')

# --- the measurements ----------------------------------------------------------------------
bytes=$(stat -c %s "${log}")
mb=$(awk -v b="${bytes}" 'BEGIN { printf "%.1f", b / 1048576 }')
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
cat "${log}" > /dev/null  # every case reads from the page cache

# Best wall time of N runs and the peak RSS of the last, for one rule set.
measure() {
  local rules="$1" best="" t start end status
  for (( i = 0; i < runs; i++ )); do
    start=$(date +%s.%N)
    set +e
    "${pin[@]}" /usr/bin/time -f '%M' -o "${tmp}/rss" "${ktriage}" analyze --format json --rules "${rules}" "${log}" \
      > /dev/null 2> "${tmp}/err"
    status=$?
    set -e
    end=$(date +%s.%N)
    [[ ${status} -eq 0 ]] || { cat "${tmp}/err" >&2; echo "rules.sh: ktriage exited ${status} with --rules ${rules}" >&2; return 1; }
    t=$(awk -v a="${start}" -v b="${end}" 'BEGIN { printf "%.3f", b - a }')
    if [[ -z "${best}" ]] || awk -v t="${t}" -v b="${best}" 'BEGIN { exit !(t < b) }'; then best="${t}"; fi
  done
  echo "${best} $(tail -n 1 "${tmp}/rss")"
}

mbs() { awk -v m="${mb}" -v w="$1" 'BEGIN { printf "%.1f", m / (w > 0 ? w : 0.001) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / (b > 0 ? b : 0.001) }'; }
goal() { awk -v v="$1" -v t="$2" 'BEGIN { print (v >= t) ? "met" : "MISSED" }'; }

read -r none_t none_rss < <(measure "${tmp}/none")
read -r shipped_t shipped_rss < <(measure "${root}/rules/shipped")
read -r r10_t r10_rss < <(measure "${tmp}/r10")
read -r r1000_t r1000_rss < <(measure "${tmp}/r1000")
none_mbs=$(mbs "${none_t}")
shipped_mbs=$(mbs "${shipped_t}")
r10_mbs=$(mbs "${r10_t}")
r1000_mbs=$(mbs "${r1000_t}")
r1000_vs_r10=$(ratio "${r1000_mbs}" "${r10_mbs}")
shipped_vs_none=$(ratio "${shipped_mbs}" "${none_mbs}")

echo "log: ${log} (${mb} MB, mix fleet)"
echo "cpu: ${pin[*]:-unpinned}, $(nproc) online; best of ${runs} run(s)"
printf '%-34s %10s %9s %13s %9s\n' "ktriage analyze --format json" "MB/s" "wall s" "peak RSS MB" "vs none"
row() { printf '%-34s %10s %9s %13s %9s\n' "$1" "$(mbs "$2")" "$2" "$(awk -v k="$3" 'BEGIN { printf "%.1f", k / 1024 }')" "$(ratio "$(mbs "$2")" "${none_mbs}")"; }
row "--rules <empty dir> (baseline)" "${none_t}" "${none_rss}"
row "--rules rules/shipped (${shipped_count:-?} rules)" "${shipped_t}" "${shipped_rss}"
row "--rules 10 generated" "${r10_t}" "${r10_rss}"
row "--rules 1,000 generated" "${r1000_t}" "${r1000_rss}"
echo "ratio 1,000 rules / 10 rules (MB/s): ${r1000_vs_r10}"
echo "goal 1,000 rules >= 0.5 x 10 rules: $(goal "${r1000_vs_r10}" 0.5)"
echo "goal shipped rules >= 200 MB/s on one core: $(goal "${shipped_mbs}" 200)"
echo "result: none_mb_per_s=${none_mbs} shipped_mb_per_s=${shipped_mbs} rules10_mb_per_s=${r10_mbs} rules1000_mb_per_s=${r1000_mbs} ratio_1000_10=${r1000_vs_r10} ratio_shipped_none=${shipped_vs_none}"

if [[ ${smoke} -eq 1 ]]; then
  for v in "${none_mbs}" "${shipped_mbs}" "${r10_mbs}" "${r1000_mbs}" "${r1000_vs_r10}"; do
    [[ "${v}" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "rules.sh: smoke: '${v}' is not a number" >&2; exit 1; }
  done
fi
