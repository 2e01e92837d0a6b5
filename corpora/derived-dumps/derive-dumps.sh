#!/bin/bash
# Derives kdump-lzo, kdump-snappy, kdump-zstd and a two-file split set (derive-dumps.py) from the
# kdump-zlib dumps of a few scenarios of the newest complete dump set of make-dumps.sh for the
# reference family (the first of corpora/families.txt; the one tests/vmcore/dump_cache.h picks),
# into <scenario-dir>/derived/. Re-derives only when the hash of
# derive-dumps.py and this script differs from derived/STAMP. Progress goes to stderr.
set -euo pipefail

SCENARIOS="sysrq veth-softlockup"
VARIANTS="kaslr nokaslr"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${KTRIAGE_CACHE:-$HOME/.cache/ktriage}/dumps"
PYTHON=/usr/bin/python3 # Debian's, with python3-lzo, python3-snappy, python3-zstandard
. "$HERE/../family.sh"
load_family ""

die() { echo "derive-dumps: error: $*" >&2; exit 1; }
note() { echo "derive-dumps: $*" >&2; }

# The newest <key>/DONE by modification time, as DumpCacheDir() chooses.
newest=""
for done_file in "$CACHE_ROOT/$KERNEL_ABI"-????????????????/DONE; do
	[ -f "$done_file" ] || continue
	if [ -z "$newest" ] || [ "$done_file" -nt "$newest" ]; then newest="$done_file"; fi
done
[ -n "$newest" ] || die "no complete dump set under $CACHE_ROOT: run corpora/dumps/make-dumps.sh first"
OUT="$(dirname "$newest")"

STAMP="$(cat "$HERE/derive-dumps.py" "$HERE/derive-dumps.sh" | sha256sum | cut -c1-16)"

# One deriver per dump set: a second run waits, then finds the work done.
exec 9> "$OUT/derived.lock"
flock 9

t0=$SECONDS
for scenario in $SCENARIOS; do
	for variant in $VARIANTS; do
		dir="$OUT/$scenario-$variant"
		[ -f "$dir/vmcore.kdump-zlib" ] || die "$dir/vmcore.kdump-zlib is missing"
		if [ "$(cat "$dir/derived/STAMP" 2>/dev/null)" = "$STAMP" ]; then
			note "up to date: $dir/derived"
			continue
		fi
		t1=$SECONDS
		rm -rf "$dir/derived.partial"
		"$PYTHON" "$HERE/derive-dumps.py" "$dir/vmcore.kdump-zlib" "$dir/derived.partial" ||
			die "derive-dumps.py failed on $dir/vmcore.kdump-zlib"
		echo "$STAMP" > "$dir/derived.partial/STAMP"
		rm -rf "$dir/derived"
		mv "$dir/derived.partial" "$dir/derived"
		note "$scenario-$variant derived in $((SECONDS - t1)) s"
	done
done
echo "derive-dumps: done in $((SECONDS - t0)) s"
echo "$OUT"
