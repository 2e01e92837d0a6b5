#!/usr/bin/env bash
# Batch triage benchmark: `ktriage triage --no-db` over a generated fleet archive (>= 10,000
# kernel logs, >= 1 GB expanded) with 1 and 2 workers, against `tar -xOzf | grep -c 'Call Trace'`
# over the same archive in the same run (the anchor: the same gzip stream and bytes, read once),
# and `zgrep -c` over it too.
#
#   bench/triage.sh [--ktriage PATH] [--hosts N] [--cache-dir DIR] [--runs N] [--smoke]
#
# The archive is fleet-HASH.tar.gz under ~/.cache/ktriage/bench/, keyed by a hash of its
# generator (the awk included) and the corpora, so it is built once (about two minutes). Its
# members are hosts/<host>/var/log/kern.log and kern.log.1 (two per host), in syslog form with the
# host's name, made of the real corpora (QEMU console logs, syzkaller report logs, ABRT oops logs, the
# samples) between host chatter: every kern.log holds one corpus log, every kern.log.1 only
# chatter; the hosts' clocks, boot stamps and file mtimes are shifted; fixed seed.
# Figures are the best wall time of --runs (default 5: this 2-core VM varies by a few per cent
# run to run); peak RSS from /usr/bin/time -f %M.
# Goals (issue 6): speed-up from --jobs 1 to --jobs 2 >= 1.7x; peak RSS < 256 MB.
# --smoke: 200 hosts, one run, and a failure unless every figure is a number.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ktriage="${root}/build/analyzer/cli/ktriage"
hosts=5000
cache_dir="${XDG_CACHE_HOME:-${HOME}/.cache}/ktriage/bench"
runs=5
smoke=0

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ktriage) ktriage="$2"; shift 2 ;;
    --hosts) hosts="$2"; shift 2 ;;
    --cache-dir) cache_dir="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --smoke) smoke=1; hosts=200; runs=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "triage.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
[[ "${hosts}" =~ ^[1-9][0-9]*$ ]] || { echo "triage.sh: --hosts needs a positive integer" >&2; exit 2; }
[[ "${runs}" =~ ^[1-9][0-9]*$ ]] || { echo "triage.sh: --runs needs a positive integer" >&2; exit 2; }
[[ -x "${ktriage}" ]] || { echo "triage.sh: no ktriage binary at ${ktriage} (run 'make build')" >&2; exit 2; }
for tool in /usr/bin/time sha256sum awk grep tar gzip zgrep perl; do
  command -v "${tool}" >/dev/null || { echo "triage.sh: ${tool} is missing (scripts/install-deps.sh)" >&2; exit 2; }
done

# --- the archive ---------------------------------------------------------------------------
mapfile -t corpus < <( { find "${root}/corpora/console/debian-6.1-qemu" -maxdepth 1 -type f -name '*.log'
                         find "${root}/corpora/syzkaller-report" -maxdepth 1 -type f
                         find "${root}/corpora/abrt-examples" -maxdepth 1 -type f -name '*.test'
                         find "${root}/corpora/samples" -maxdepth 1 -type f -name '*.log'; } | LC_ALL=C sort)
[[ ${#corpus[@]} -gt 0 ]] || { echo "triage.sh: corpora not found under ${root}/corpora" >&2; exit 2; }

# The key hashes the generator (this section of the script), not the measurements below it.
key="$( { sed -n '/^# --- the archive/,/^# --- the measurements/p' "${BASH_SOURCE[0]}"; readlink -f "$(command -v awk)"; for f in "${corpus[@]}"; do echo "${f#"${root}"/}"; cat "${f}"; done; } | sha256sum | cut -c1-16)"
archive="${cache_dir}/fleet-${key}-${hosts}hosts.tar.gz"
mkdir -p "${cache_dir}"

if [[ ! -s "${archive}" ]]; then
  find "${cache_dir}" -maxdepth 1 -name "fleet-*-${hosts}hosts.tar.gz" ! -name "$(basename "${archive}")" -delete
  build="$(mktemp -d "${cache_dir}/.building.XXXXXX")"
  trap 'rm -rf "${build}"' EXIT
  echo "triage.sh: building ${hosts}-host fleet archive ${archive}" >&2
  # One awk: the corpus logs are read once (printk stamps and syslog prefixes peeled off;
  # syzkaller files lose their header, up to the first empty line, and the expected report, from
  # "REPORT:" on, which are test answers), then every member is written with its host's name and
  # clock. mtimes go to a list that perl applies (tar takes them from the files).
  awk -v seed=1 -v nhosts="${hosts}" -v out="${build}/tree" -v mtimes="${build}/mtimes" '
    function hex(n) { return sprintf("%x", int(rand() * n)) }
    function line(msg,   s, d) {
      t += burst ? rand() * 0.0002 : 0.05 + rand() * 1.5   # a report prints in a burst
      s = clock0 + int(t); d = 1 + int(s / 86400); s %= 86400
      bytes += length(msg) + 48 + length(host)
      printf "Nov %2d %02d:%02d:%02d %s kernel: [%5d.%06d] %s\n", d, int(s / 3600), int(s % 3600 / 60), s % 60, host, int(t), int((t - int(t)) * 1000000), msg > path
    }
    function chatter(   r) {
      r = int(rand() * 14)
      if (r == 0) line(sprintf("audit: type=1400 audit(1763%06d.%03d:%d): apparmor=\"DENIED\" operation=\"open\" class=\"file\" profile=\"snap.lxd.daemon\" name=\"/proc/%d/mountinfo\" pid=%d comm=\"lxd\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0", int(rand() * 999999), int(rand() * 999), int(rand() * 99999), int(rand() * 32768), int(rand() * 32768)))
      else if (r == 1) line(sprintf("IPv6: ADDRCONF(NETDEV_CHANGE): veth%s: link becomes ready", hex(16777216)))
      else if (r == 2) line(sprintf("docker0: port %d(veth%s) entered forwarding state", 1 + int(rand() * 30), hex(16777216)))
      else if (r == 3) line(sprintf("docker0: port %d(veth%s) entered disabled state", 1 + int(rand() * 30), hex(16777216)))
      else if (r == 4) line(sprintf("device veth%s entered promiscuous mode", hex(16777216)))
      else if (r == 5) line(sprintf("[UFW BLOCK] IN=ens3 OUT= MAC=52:54:00:12:34:56:52:54:00:ab:cd:ef:08:00 SRC=10.%d.%d.%d DST=10.0.0.5 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=%d DF PROTO=TCP SPT=%d DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0", int(rand() * 255), int(rand() * 255), int(rand() * 255), int(rand() * 65535), 1024 + int(rand() * 60000)))
      else if (r == 6) line(sprintf("EXT4-fs (dm-%d): mounted filesystem with ordered data mode. Quota mode: none.", int(rand() * 8)))
      else if (r == 7) line(sprintf("overlayfs: fs on \x27/var/lib/docker/overlay2/l/%s%s\x27 does not support file handles, falling back to xino=off.", hex(2147483647), hex(2147483647)))
      else if (r == 8) line(sprintf("perf: interrupt took too long (%d > %d), lowering kernel.perf_event_max_sample_rate to %d", 2500 + int(rand() * 5000), 2500, 25000 + int(rand() * 50000)))
      else if (r == 9) line(sprintf("kauditd_printk_skb: %d callbacks suppressed", 1 + int(rand() * 40)))
      else if (r == 10) line("nf_conntrack: nf_conntrack: table full, dropping packet")
      else if (r == 11) line(sprintf("TCP: request_sock_TCP: Possible SYN flooding on port %d. Sending cookies.  Check SNMP counters.", 1024 + int(rand() * 60000)))
      else if (r == 12) line(sprintf("systemd-journald[%d]: /var/log/journal/%s%s/system.journal: Journal header limits reached or header out-of-date, rotating.", 200 + int(rand() * 400), hex(2147483647), hex(2147483647)))
      else line(sprintf("mlx5_core 0000:3b:00.%d ens1f%d: Link up", int(rand() * 2), int(rand() * 2)))
    }
    # The corpus, one log per file, as bare messages.
    FNR == 1 { nf++; first[nf] = nl + 1; body = (FILENAME !~ /syzkaller-report/); skip = 0 }
    !body && /^$/ { body = 1; next }
    body && /^REPORT:/ { skip = 1 }
    body && !skip {
      m = $0
      if (m ~ /^[A-Z][a-z][a-z]  ?[0-9]+ [0-9:]+ [^ ]+ /) {
        sub(/^[A-Z][a-z][a-z]  ?[0-9]+ [0-9:]+ [^ ]+ /, "", m)
        if (m !~ /^kernel: /) next   # another program: not a kernel log line
        sub(/^kernel: /, "", m)
      }
      sub(/^\[ *[0-9]+\.[0-9]+\] /, "", m)
      msgs[++nl] = m
    }
    { last[nf] = nl }
    END {
      srand(seed)
      split("web db cache lb k8s-node ceph gpu build", roles, " ")
      split("fra1 ams3 iad2 sfo1 sin1", sites, " ")
      for (h = 0; h < nhosts; h++) {
        host = sprintf("%s-%04d-%s", roles[1 + h % 8], h, sites[1 + int(h / 8) % 5])
        pick = int(rand() * nf) + 1
        for (rot = 1; rot >= 0; rot--) {
          path = sprintf("%s/hosts/%s/var/log/kern.log%s", out, host, rot ? ".1" : "")
          if (rot) system("mkdir -p \x27" out "/hosts/" host "/var/log\x27")
          clock0 = int(rand() * 86400 * 14) + (1 - rot) * 86400 * 14
          t = 1 + rand() * 60; bytes = 0
          target = 70000 + int(rand() * 100000)
          at = rot ? -1 : int(rand() * target)   # where the corpus log goes, in bytes of chatter
          while (bytes < target) {
            chatter()
            if (at >= 0 && bytes >= at) {
              burst = 1
              for (i = first[pick]; i <= last[pick]; i++) line(msgs[i])
              burst = 0; at = -1
            }
          }
          close(path)
          # mtime: 2026-11-01T00:00:00Z plus the host clock at the last line
          printf "%d %s\n", 1793491200 + clock0 + int(t), path > mtimes
        }
      }
      close(mtimes)
    }
  ' "${corpus[@]}"
  perl -ne 'chomp; my ($t, $p) = split / /, $_, 2; utime($t, $t, $p) or die "utime $p: $!\n"' "${build}/mtimes"
  find "${build}/tree" -type d -exec touch -d @1793491200 {} +   # directories too: same bytes every build
  tar -C "${build}/tree" --sort=name --owner=0 --group=0 --numeric-owner --format=gnu -cf - hosts |
    gzip -n -6 > "${build}/fleet.tar.gz"
  mv "${build}/fleet.tar.gz" "${archive}"
  rm -rf "${build}"
  trap - EXIT
fi

# --- the measurements ----------------------------------------------------------------------
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
# Size, members and anchor count in one pass (also puts the archive in the page cache).
read -r members expanded < <(tar -tvzf "${archive}" | awk '$1 ~ /^-/ { n++; b += $3 } END { printf "%d %d\n", n, b }')
compressed=$(stat -c %s "${archive}")
mb=$(awk -v b="${expanded}" 'BEGIN { printf "%.1f", b / 1048576 }')
if [[ ${smoke} -eq 0 ]]; then
  [[ ${members} -ge 10000 ]] || { echo "triage.sh: only ${members} members (need >= 10,000; --hosts ${hosts})" >&2; exit 1; }
  [[ ${expanded} -ge 1073741824 ]] || { echo "triage.sh: only ${expanded} bytes expanded (need >= 1 GiB)" >&2; exit 1; }
fi

# Best wall time of N runs and the largest peak RSS of them; the first run's stdout is kept.
# Prints "wall rss_kb exit_status".
measure() {
  local name="$1"; shift
  local best="" worst_rss=0 t rss start end status
  for (( i = 0; i < runs; i++ )); do
    start=$(date +%s.%N)
    set +e
    /usr/bin/time -f '%M' -o "${tmp}/rss" "$@" > "${tmp}/${name}.out.${i}" 2> "${tmp}/${name}.err"
    status=$?
    set -e
    end=$(date +%s.%N)
    t=$(awk -v a="${start}" -v b="${end}" 'BEGIN { printf "%.3f", b - a }')
    rss=$(tail -n 1 "${tmp}/rss")
    [[ "${rss}" =~ ^[0-9]+$ ]] || rss=0
    if [[ -z "${best}" ]] || awk -v t="${t}" -v b="${best}" 'BEGIN { exit !(t < b) }'; then best="${t}"; fi
    [[ ${rss} -gt ${worst_rss} ]] && worst_rss=${rss}
  done
  echo "${best} ${worst_rss} ${status}"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
read -r j1_t j1_rss j1_st < <(measure j1 "${ktriage}" triage --no-db --jobs 1 "${archive}")
read -r j2_t j2_rss j2_st < <(measure j2 "${ktriage}" triage --no-db --jobs 2 "${archive}")
# The anchor: one pass over the same gzip stream, every member's bytes through grep (GNU tar runs
# gzip -d as a child; grep -c into a file, not /dev/null, which GNU grep treats like -q).
read -r g_t g_rss g_st < <(measure grep bash -c 'tar -xOzf "$1" | LC_ALL=C grep -c "Call Trace"; exit "${PIPESTATUS[0]}"' _ "${archive}")
# The issue's own wording of the anchor: zgrep -c over the same file (the tar stream's lines).
read -r zg_t zg_rss zg_st < <(measure zgrep zgrep -c "Call Trace" "${archive}")
# Not a goal: inflating the gzip stream alone, which one walker thread must do serially, so
# --jobs 1 time over this is the most that more workers can gain on one archive.
read -r z_t z_rss z_st < <(measure gunzip gzip -dc "${archive}")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

for st in "${j1_st}" "${j2_st}"; do
  if [[ ${st} -gt 1 ]]; then cat "${tmp}/j1.err" "${tmp}/j2.err" >&2; echo "triage.sh: ktriage exited ${st}" >&2; exit 1; fi
done
[[ ${g_st} -eq 0 ]] || { echo "triage.sh: tar exited ${g_st}" >&2; exit 1; }
[[ ${z_st} -eq 0 ]] || { echo "triage.sh: gzip exited ${z_st}" >&2; exit 1; }
[[ ${zg_st} -eq 0 ]] || { echo "triage.sh: zgrep exited ${zg_st}" >&2; exit 1; }
[[ "$(head -n 1 "${tmp}/zgrep.out.0")" == "$(head -n 1 "${tmp}/grep.out.0")" ]] || { echo "triage.sh: zgrep and tar | grep counted differently" >&2; exit 1; }
calltraces=$(head -n 1 "${tmp}/grep.out.0")
same=$(cmp -s "${tmp}/j1.out.0" "${tmp}/j2.out.0" && echo yes || echo NO)
summary="${tmp}/j1.out.0"
logs=$(sed -n 's/^Inputs: \([0-9]*\) logs.*/\1/p' "${summary}")
findings=$(sed -n 's/^Known problems: [0-9]* rules, \([0-9]*\) findings.*/\1/p' "${summary}")
rules_hit=$(sed -n 's/^Known problems: \([0-9]*\) rules.*/\1/p' "${summary}")
unknown=$(sed -n 's/^Unknown crashes (no rule): \([0-9]*\) signatures, \([0-9]*\) reports.*/\1 signatures, \2 reports/p' "${summary}")
failed=$(grep -c '^ktriage: ' "${tmp}/j1.err" || true)

rate() { awk -v n="$1" -v w="$2" 'BEGIN { printf "%.1f", n / (w > 0 ? w : 0.001) }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
goal() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=") ? v >= t : v < t; print ok ? "met" : "MISSED" }'; }
speedup=$(awk -v a="${j1_t}" -v b="${j2_t}" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.001) }')
peak_rss=$(mib "$(( j1_rss > j2_rss ? j1_rss : j2_rss ))")

echo "archive: ${archive} (${members} members, ${mb} MB expanded, $(awk -v b="${compressed}" 'BEGIN { printf "%.1f", b / 1048576 }') MB gzip)"
echo "cpu: $(nproc) online; load average before ${load_before}, after ${load_after}"
printf '%-44s %9s %10s %10s %13s\n' "command (best of ${runs})" "wall s" "inputs/s" "MB/s" "peak RSS MB"
printf '%-44s %9s %10s %10s %13s\n' "ktriage triage --no-db --jobs 1" "${j1_t}" "$(rate "${members}" "${j1_t}")" "$(rate "${mb}" "${j1_t}")" "$(mib "${j1_rss}")"
printf '%-44s %9s %10s %10s %13s\n' "ktriage triage --no-db --jobs 2" "${j2_t}" "$(rate "${members}" "${j2_t}")" "$(rate "${mb}" "${j2_t}")" "$(mib "${j2_rss}")"
printf '%-44s %9s %10s %10s %13s\n' "tar -xOzf | grep -c 'Call Trace' (anchor)" "${g_t}" "$(rate "${members}" "${g_t}")" "$(rate "${mb}" "${g_t}")" "$(mib "${g_rss}")"
printf '%-44s %9s %10s %10s %13s\n' "zgrep -c 'Call Trace' (same count)" "${zg_t}" "$(rate "${members}" "${zg_t}")" "$(rate "${mb}" "${zg_t}")" "$(mib "${zg_rss}")"
printf '%-44s %9s %10s %10s %13s\n' "gzip -dc (the serial part of one archive)" "${z_t}" "$(rate "${members}" "${z_t}")" "$(rate "${mb}" "${z_t}")" "$(mib "${z_rss}")"
echo "ktriage: ${logs:-?} logs, ${findings:-?} findings from ${rules_hit:-?} rules, unknown crashes ${unknown:-?}, ${failed} failed inputs (exit ${j1_st})"
echo "grep found ${calltraces} 'Call Trace' lines; summaries of --jobs 1 and 2 identical: ${same}"
echo "ratio ktriage --jobs 1 / anchor (MB/s): $(awk -v a="${g_t}" -v b="${j1_t}" 'BEGIN { printf "%.3f", a / b }')"
echo "goal speed-up --jobs 1 -> 2 >= 1.7x: ${speedup}x $(goal "${speedup}" 1.7 '>=')"
echo "  (most any number of workers can gain on one gzip archive: --jobs 1 / gzip -dc = $(awk -v a="${j1_t}" -v b="${z_t}" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.001) }')x)"
echo "goal peak RSS < 256 MB: ${peak_rss} MB $(goal "${peak_rss}" 256 '<')"
echo "result: members=${members} expanded_mb=${mb} j1_s=${j1_t} j2_s=${j2_t} speedup=${speedup} j1_mb_per_s=$(rate "${mb}" "${j1_t}") j2_mb_per_s=$(rate "${mb}" "${j2_t}") peak_rss_mb=${peak_rss} anchor_s=${g_t} anchor_mb_per_s=$(rate "${mb}" "${g_t}") zgrep_s=${zg_t} gunzip_s=${z_t} findings=${findings:-?}"

if [[ ${smoke} -eq 1 ]]; then
  for v in "${j1_t}" "${j2_t}" "${g_t}" "${speedup}" "${peak_rss}" "${logs}" "${findings}"; do
    [[ "${v}" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "triage.sh: smoke: '${v}' is not a number" >&2; exit 1; }
  done
  [[ "${same}" == yes ]] || { echo "triage.sh: smoke: --jobs 1 and 2 summaries differ" >&2; exit 1; }
fi
