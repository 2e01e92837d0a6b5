#!/usr/bin/env bash
# Writes SIZE_MB megabytes of a crash-dense kernel log to stdout, never stored: the QEMU console
# logs and the syzkaller report corpus of corpora/, repeated (nearly every line belongs to a crash
# report). For the flat-memory bench and test (bench/flat_memory.sh, tests/reliability).
#
#   bench/crash_dense.sh SIZE_MB
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $# -eq 1 && "$1" =~ ^[1-9][0-9]*$ ]] || { echo "usage: crash_dense.sh SIZE_MB" >&2; exit 2; }
unit="$(mktemp)"
trap 'rm -f "${unit}"' EXIT
cat "${root}"/corpora/console/debian-6.1-qemu/*.log "${root}"/corpora/syzkaller-report/* > "${unit}"
# `head` ends the loop with SIGPIPE once it has the bytes.
{ while cat "${unit}"; do :; done; } 2>/dev/null | head -c "$(( $1 * 1024 * 1024 ))"
