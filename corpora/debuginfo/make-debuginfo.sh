#!/bin/bash
# Extracts the debuginfo that the symbolizer's tests need (vmlinux and a few modules) from Debian's
# linux-image-<ABI>-dbg package, keeping Debian's usr/lib/debug layout. Cached under
# ${KTRIAGE_CACHE:-$HOME/.cache/ktriage}/debuginfo/<ABI>-<key>/; the last stdout line is that directory.
set -euo pipefail

# The seed notes' drivers. Debian's cloud flavour builds neither igb nor igbvf: those two are
# extracted when the package has them and listed as missing otherwise.
MODULES="veth 8021q igb igbvf"
REQUIRED_MODULES="veth"
COMPRESSED_MODULE="veth" # also written as .ko.xz and .ko.zst, as kmod-compressed module trees hold it

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/../family.sh"
die() { echo "make-debuginfo: error: $*" >&2; exit 1; }
note() { echo "make-debuginfo: $*" >&2; }

usage() {
	cat <<EOF
usage: $0 [--family NAME] [--list-families]
Extracts vmlinux and the modules $MODULES (those that exist) from the family's
linux-image-<ABI>-dbg package (downloaded once into the cache's debs/) and prints the output
directory on the last line.
  --family NAME    a family of corpora/families.txt; default: the first one
  --list-families  print the family names and exit
Environment: KTRIAGE_CACHE (cache root).
EOF
}
family=""
while [ $# -gt 0 ]; do
	case "$1" in
	--list-families) list_families; exit 0 ;;
	--family) [ $# -ge 2 ] || die "--family needs a NAME"; family="$2"; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
done
load_family "$family" || die "see corpora/families.txt"

CACHE="${KTRIAGE_CACHE:-$HOME/.cache/ktriage}"
CACHE_ROOT="$CACHE/debuginfo"
DEBS="$CACHE/debs"
DBG_PKG="linux-image-$KERNEL_ABI-dbg"
# Another architecture's package is asked for by name:arch, with that architecture known to dpkg.
APT_PKG="$DBG_PKG"
[ "$ARCH" = "$(dpkg --print-architecture)" ] || APT_PKG="$DBG_PKG:$ARCH"
DEBUG=usr/lib/debug

for tool in dpkg-deb tar xz zstd readelf md5sum flock; do
	command -v "$tool" > /dev/null || die "$tool is missing (scripts/install-deps.sh)"
done

# --- the package: kept in the cache, never installed ---------------------------------------------
apt_updated=false
apt_update() {
	$apt_updated && return 0
	[ "$(id -u)" = 0 ] || die "apt-get update needs root (or download $DBG_PKG into $DEBS yourself)"
	note "apt-get update"
	if [ "$APT_PKG" != "$DBG_PKG" ] && ! dpkg --print-foreign-architectures | grep -qx "$ARCH"; then
		dpkg --add-architecture "$ARCH"
	fi
	apt-get update -qq >&2 || die "apt-get update failed"
	apt_updated=true
}

dbg_deb() {
	local deb
	deb="$(ls "$DEBS/${DBG_PKG}_"*.deb 2>/dev/null | sort -V | tail -n 1)"
	if [ -z "$deb" ]; then
		local version
		version="$(apt-cache policy "$APT_PKG" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
		if [ -z "$version" ] || [ "$version" = "(none)" ]; then
			apt_update
			version="$(apt-cache policy "$APT_PKG" | awk '/Candidate:/ { print $2 }')"
		fi
		[ -n "$version" ] && [ "$version" != "(none)" ] ||
			die "Debian has no package $DBG_PKG (family $FAMILY: pick an available ABI in corpora/families.txt)"
		mkdir -p "$DEBS"
		note "downloading $DBG_PKG $version (about 300 MB)"
		(cd "$DEBS" && apt-get download -qq "$APT_PKG=$version" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
		deb="$(ls "$DEBS/${DBG_PKG}_"*.deb 2>/dev/null | sort -V | tail -n 1)"
		[ -n "$deb" ] || die "apt-get download $DBG_PKG=$version failed"
	fi
	echo "$deb"
}

DEB="$(dbg_deb)"
VERSION="$(dpkg-deb -f "$DEB" Version)" || die "$DEB is not a Debian package"

# --- cache key: this script and the package version ----------------------------------------------
KEY="$( {
	echo "kernel_abi=$KERNEL_ABI $DBG_PKG=$VERSION"
	cd "$HERE" && find . -type f ! -name README.md | LC_ALL=C sort | xargs sha256sum
} | sha256sum | cut -c1-16)"
OUT="$CACHE_ROOT/$KERNEL_ABI-$KEY"

if [ -f "$OUT/DONE" ]; then
	note "cache hit: $OUT"
	echo "$OUT"
	exit 0
fi
mkdir -p "$CACHE_ROOT"
# One builder per key: a second run waits here, then finds the first one's work done.
exec 9> "$OUT.lock"
if ! flock -n 9; then
	note "another make-debuginfo.sh is building $OUT; waiting for it"
	flock 9
fi
if [ -f "$OUT/DONE" ]; then
	note "cache hit: $OUT"
	echo "$OUT"
	exit 0
fi

t0=$SECONDS
work="$OUT.partial"
rm -rf "$work" "$OUT"
mkdir -p "$work"

# --- one streaming pass over data.tar ------------------------------------------------------------
# Member names are ./usr/lib/debug/...; a pattern's '*' matches '/' too. Patterns of modules the
# flavour does not build match nothing: tar says "Not found in archive" and exits 2, which is
# expected; every file that is there is then checked against the package's md5sums.
patterns=("./$DEBUG/boot/vmlinux-$KERNEL_ABI" "./$DEBUG/vmlinux-$KERNEL_ABI"
	"./$DEBUG/lib/modules/$KERNEL_ABI/vmlinux" "./$DEBUG/.build-id/*")
for m in $MODULES; do patterns+=("./$DEBUG/lib/modules/$KERNEL_ABI/kernel/*/$m.ko"); done
note "extracting vmlinux and $MODULES from $(basename "$DEB")"
t_x=$SECONDS
set +e
dpkg-deb --fsys-tarfile "$DEB" | tar -x -C "$work" --wildcards --wildcards-match-slash "${patterns[@]}" 2> "$work/tar.err"
status=("${PIPESTATUS[@]}")
set -e
[ "${status[0]}" = 0 ] || die "dpkg-deb --fsys-tarfile $DEB failed"
if [ "${status[1]}" != 0 ] && grep -v -e 'Not found in archive' -e 'Exiting with failure status' "$work/tar.err" >&2; then
	die "tar failed extracting from $DEB"
fi
rm -f "$work/tar.err"
note "extracted in $((SECONDS - t_x)) s"

[ -f "$work/$DEBUG/boot/vmlinux-$KERNEL_ABI" ] || die "$DEB has no $DEBUG/boot/vmlinux-$KERNEL_ABI"
found="" missing=""
for m in $MODULES; do
	if [ -n "$(find "$work/$DEBUG/lib/modules/$KERNEL_ABI/kernel" -name "$m.ko" -print -quit 2>/dev/null)" ]; then
		found="$found $m"
	else
		missing="$missing $m"
	fi
done
for m in $REQUIRED_MODULES; do
	case " $found " in *" $m "*) ;; *) die "$DEB has no $m.ko" ;; esac
done
[ -z "$missing" ] || note "not in $DBG_PKG (not built for this flavour):$missing"

# Every extracted file against the package's own checksums (catches a truncated stream).
(cd "$work" && find usr -type f | LC_ALL=C sort) > "$work/files.txt"
dpkg-deb -I "$DEB" md5sums | awk 'NR == FNR { want[$1] = 1; next } ($2 in want) { print }' "$work/files.txt" - > "$work/md5sums"
[ "$(wc -l < "$work/md5sums")" = "$(wc -l < "$work/files.txt")" ] || die "md5sums of $DEB do not cover every extracted file"
(cd "$work" && md5sum --quiet -c md5sums >&2) || die "extracted files do not match the md5sums of $DEB"
rm -f "$work/files.txt" "$work/md5sums"

# --- build-ids ------------------------------------------------------------------------------------
build_id() { readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; exit }'; }
(
	cd "$work"
	: > build-ids.txt
	find "$DEBUG/boot" "$DEBUG/lib/modules" -type f | LC_ALL=C sort | while IFS= read -r f; do
		id="$(build_id "$f")"
		[ -n "$id" ] || die "$f has no build-id note"
		printf '%s\t%s\n' "$f" "$id" >> build-ids.txt
	done
)
# .build-id/xx/rest.debug links: the package's own ones are kept only when they point at an
# extracted file (6.1's -dbg ships links for the vDSOs only); the missing ones for vmlinux and the
# modules are made the same way, so that build-id lookups (libdw, debuginfod -F) work here.
if [ -d "$work/$DEBUG/.build-id" ]; then
	find "$work/$DEBUG/.build-id" -type l | while IFS= read -r link; do
		[ -f "$link" ] || rm -f "$link"
	done
	find "$work/$DEBUG/.build-id" -mindepth 1 -type d -empty -delete
fi
while IFS=$'\t' read -r f id; do
	link="$work/$DEBUG/.build-id/${id:0:2}/${id:2}.debug"
	mkdir -p "$(dirname "$link")"
	[ -L "$link" ] || ln -s "../../${f#"$DEBUG/"}" "$link"
	[ "$(readlink -f "$link")" = "$(readlink -f "$work/$f")" ] || die "$link does not point at $f"
done < "$work/build-ids.txt"

# --- compressed copies, made as the kernel's `make modules_install` makes them -------------------
mkdir -p "$work/modules-compressed"
ko="$(find "$work/$DEBUG/lib/modules/$KERNEL_ABI/kernel" -name "$COMPRESSED_MODULE.ko" -print -quit)"
xz --check=crc32 --lzma2=dict=1MiB -c "$ko" > "$work/modules-compressed/$COMPRESSED_MODULE.ko.xz"
zstd -q -c "$ko" > "$work/modules-compressed/$COMPRESSED_MODULE.ko.zst"

{
	echo "kernel_abi=$KERNEL_ABI"
	echo "$DBG_PKG=$VERSION"
	echo "modules=${found# }"
	echo "modules_missing=${missing# }"
} > "$work/versions.txt"
date -u +%FT%TZ > "$work/DONE"
mv "$work" "$OUT"
echo "make-debuginfo: done in $((SECONDS - t0)) s ($(du -sh "$OUT" | cut -f1))"
echo "$OUT"
