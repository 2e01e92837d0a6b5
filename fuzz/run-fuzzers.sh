#!/usr/bin/env bash
# Runs each fuzz target for FUZZ_SECONDS (default 300) on its seeds (fuzz/make-seeds.sh), its
# regression inputs (fuzz/regressions/<target>/) and the corpus grown by earlier runs, one
# target after the other, then prints one line per target: runs executed, CPU seconds, coverage
# and the result. Exits non-zero when any target crashed, hung, leaked or ran out of memory; the
# input that did it is in build-fuzz/crashes/<target>/ (add it to fuzz/regressions/<target>/
# once fixed). Usage: fuzz/run-fuzzers.sh [TARGET...]   (environment: FUZZ_SECONDS, FUZZ_DIR)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${FUZZ_DIR:-$ROOT/build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-300}
ALL_TARGETS=(log_analysis printk_ringbuffer flattened_dump rule_loader archive_walker frame_text btf_types)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")

# Longest input each target is given: what its seeds need, no more (long inputs fuzz slowly).
max_len() {
  case $1 in
    flattened_dump) echo 70000 ;;
    log_analysis|rule_loader|archive_walker) echo 20000 ;;
    *) echo 8192 ;;
  esac
}

[ -d "$DIR/seeds" ] || "$ROOT/fuzz/make-seeds.sh" "$DIR/seeds" >/dev/null
failed=0
summary=()
for t in "${TARGETS[@]}"; do
  bin=$DIR/fuzz/${t}_fuzzer
  if [ ! -x "$bin" ]; then
    echo "run-fuzzers: $bin missing: cmake --build $DIR --target fuzzers" >&2
    exit 2
  fi
  mkdir -p "$DIR/corpus/$t" "$DIR/crashes/$t" "$DIR/logs" "$DIR/seeds/$t"
  log=$DIR/logs/$t.log
  # A fresh temp dir per run: the walker copies dumps found in archives into (unlinked) temp files.
  tmp=$(mktemp -d)
  TIMEFORMAT='%U %S'
  { time TMPDIR=$tmp "$bin" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 \
      -max_len="$(max_len "$t")" -print_final_stats=1 -artifact_prefix="$DIR/crashes/$t/" \
      "$DIR/corpus/$t" "$DIR/seeds/$t" "$ROOT/fuzz/regressions/$t" >"$log" 2>&1; echo "rc $?" >>"$log"; } 2>"$DIR/logs/$t.time"
  rm -rf "$tmp"
  rc=$(awk '/^rc /{print $2}' "$log" | tail -1)
  runs=$(awk '/stat::number_of_executed_units/{print $2}' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  cpu=$(awk '{printf "%.0f", $1 + $2}' "$DIR/logs/$t.time")
  if [ "$rc" = 0 ]; then
    result=ok
  else
    failed=1
    artifact=$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //')
    kind=$(grep -o -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer): [a-z-]+|runtime error|deadly signal|out-of-memory|timeout' "$log" | head -1)
    result="FAILED (${kind:-exit $rc}) ${artifact:-see $log}"
  fi
  line=$(printf '%-18s runs %10s  cpu %5ss  cov %6s  ft %6s  %s' "$t" "${runs:-?}" "$cpu" "${cov:-?}" "${ft:-?}" "$result")
  echo "$line"
  summary+=("$line")
done
exit $failed
