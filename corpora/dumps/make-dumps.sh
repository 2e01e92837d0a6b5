#!/bin/bash
# Makes real kernel crash dumps (QEMU ELF and kdump formats) and their serial-console logs by
# booting one family's Debian cloud kernel (corpora/families.txt) under QEMU/TCG, for the vmcore
# reader's tests. Cached under ${KTRIAGE_CACHE:-$HOME/.cache/ktriage}/dumps/<ABI>-<key>/; the last
# stdout line is that directory.
set -euo pipefail

TIMEOUT="${KTRIAGE_DUMP_TIMEOUT:-300}" # seconds from QEMU start to the guest's panic
# Every guest gets these; the scenario picks its own failure (see guest/init).
BASE_CMDLINE="panic=0 oops=panic softlockup_panic=1 watchdog_thresh=5 hung_task_panic=1 panic_on_warn=1 rdinit=/init"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${KTRIAGE_CACHE:-$HOME/.cache/ktriage}/dumps"
PYTHON=/usr/bin/python3 # Debian's, not whatever python3 comes first in PATH
. "$HERE/../family.sh"

die() { echo "make-dumps: error: $*" >&2; exit 1; }
note() { echo "make-dumps: $*" >&2; }

usage() {
	cat <<EOF
usage: $0 [--family NAME] [--scenario NAME]... [--list] [--list-families]
Boots the family's Debian kernel in QEMU once per scenario and variant, dumps the panicked guest
and prints the output directory on the last line.
  --family NAME    a family of corpora/families.txt; default: the first one
  --scenario NAME  make only this scenario (repeatable); default: all of the family's
  --list           print the family's scenario names and exit
  --list-families  print the family names and exit
Environment: KTRIAGE_CACHE (cache root), KTRIAGE_DUMP_TIMEOUT (seconds to the panic, default $TIMEOUT).
EOF
}

family="" requested=""
while [ $# -gt 0 ]; do
	case "$1" in
	--list-families) list_families; exit 0 ;;
	--family)
		[ $# -ge 2 ] || die "--family needs a NAME (see --list-families)"
		family="$2"; shift 2 ;;
	--list) requested="$requested --list"; shift ;;
	--scenario)
		[ $# -ge 2 ] || die "--scenario needs a NAME (see --list)"
		requested="$requested $2"; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
done
load_family "$family" || die "see corpora/families.txt"
wanted=""
for s in $requested; do
	if [ "$s" = --list ]; then for s in $SCENARIOS; do echo "$s"; done; exit 0; fi
	case " $SCENARIOS " in *" $s "*) ;; *) die "family $FAMILY has no scenario '$s' (see --list)" ;; esac
	wanted="$wanted $s"
done
[ -n "$wanted" ] || wanted="$SCENARIOS"

# --- what the family's architecture needs ------------------------------------------------------
IMAGE_PKG="linux-image-$KERNEL_ABI-unsigned"
HEADERS_PKG="linux-headers-$KERNEL_ABI"
COMMON_PKGS="makedumpfile busybox-static cpio gzip lz4 zstd xz-utils binutils util-linux python3 gcc make libc6-dev bc dwarves"
# QEMU_ARGS: the machine for run-guest.py; BUSYBOX_PKG: "" for the host's /bin/busybox, else the
# guest architecture's busybox-static, downloaded and unpacked; GUEST_ARCH: the headers' and the
# image's Debian architecture (the kbuild tools run on the host, so they are the host's).
case "$ARCH" in
amd64)
	QEMU=qemu-system-x86_64
	QEMU_ARGS="-machine pc -cpu qemu64"
	HOST_PKGS="$COMMON_PKGS qemu-system-x86 gcc-12"
	CONSOLE="console=ttyS0,115200"
	GUEST_CC="gcc"
	GUEST_ARCH=""
	BUSYBOX_PKG=""
	MODULE_MAKE_VARS=""
	;;
arm64)
	QEMU=qemu-system-aarch64
	# pauth-impdef: QEMU's own pointer-authentication hash, much faster under TCG than QARMA.
	QEMU_ARGS="-machine virt,gic-version=3 -cpu max,pauth-impdef=on"
	HOST_PKGS="$COMMON_PKGS qemu-system-arm gcc-12-aarch64-linux-gnu libc6-dev-arm64-cross"
	CONSOLE="console=ttyAMA0"
	GUEST_CC="aarch64-linux-gnu-gcc-12"
	GUEST_ARCH=":arm64"
	BUSYBOX_PKG="busybox-static:arm64"
	# The headers' .kernelvariables cross-compile when DEB_HOST_ARCH is not the build's.
	MODULE_MAKE_VARS="DEB_HOST_ARCH=arm64 DEB_HOST_GNU_TYPE=aarch64-linux-gnu CROSS_COMPILE=aarch64-linux-gnu-"
	[ "$(dpkg --print-architecture)" = arm64 ] && GUEST_ARCH=""
	;;
*) die "family $FAMILY: architecture $ARCH is not supported by this script" ;;
esac
IMAGE_PKG="$IMAGE_PKG$GUEST_ARCH"
HEADERS_PKG_ARCH="$HEADERS_PKG$GUEST_ARCH"

# --- host packages -----------------------------------------------------------------------------
installed_version() { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | awk '$3 == "installed" { print $4 }'; }

apt_updated=false
apt_update() {
	$apt_updated && return 0
	# Another architecture's packages (the guest's kernel, busybox) need it in dpkg's list.
	if [ -n "$GUEST_ARCH" ] && ! dpkg --print-foreign-architectures | grep -qx "${GUEST_ARCH#:}"; then
		[ "$(id -u)" = 0 ] || die "dpkg --add-architecture ${GUEST_ARCH#:} needs root"
		dpkg --add-architecture "${GUEST_ARCH#:}"
	fi
	note "apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed"
	apt_updated=true
}

ensure_host_packages() {
	local missing="" p
	for p in $HOST_PKGS; do [ -n "$(installed_version "$p")" ] || missing="$missing $p"; done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing Debian packages:$missing (run as root, or apt-get install them)"
	apt_update
	note "installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2 ||
		die "apt-get install$missing failed"
}

# The guest's kernel and the headers its test module is built against are never installed on the
# host: their .debs are kept in the cache and unpacked. Prints the .deb's path.
fetch_deb() {
	local pkg="$1" deb version name="${1%%:*}" arch="${1#*:}"
	[ "$arch" != "$1" ] || arch="*"
	deb="$(ls "$CACHE_ROOT/debs/${name}_"*_${arch}.deb 2>/dev/null | sort -V | tail -n 1)"
	if [ -z "$deb" ]; then
		version="$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
		if [ -z "$version" ] || [ "$version" = "(none)" ]; then
			apt_update
			version="$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')"
		fi
		[ -n "$version" ] && [ "$version" != "(none)" ] ||
			die "Debian has no package $pkg (family $FAMILY: pick an available ABI in corpora/families.txt)"
		mkdir -p "$CACHE_ROOT/debs"
		note "downloading $pkg $version"
		(cd "$CACHE_ROOT/debs" && apt-get download -qq "$pkg=$version" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
		deb="$(ls "$CACHE_ROOT/debs/${name}_"*_${arch}.deb 2>/dev/null | sort -V | tail -n 1)"
		[ -n "$deb" ] || die "apt-get download $pkg=$version failed"
	fi
	echo "$deb"
}

# The headers package and the header and kbuild packages it depends on (not the image, not the
# compiler: those come from elsewhere). kbuild's tools run on the host: the host's build of it.
headers_packages() {
	echo "$HEADERS_PKG_ARCH"
	apt-cache depends "$HEADERS_PKG_ARCH" 2>/dev/null | awk '$1 == "Depends:" { print $2 }' | tr -d '<>' |
		sed 's/:.*//' | grep -E '^linux-(headers|kbuild)-' | sort -u
}

ensure_host_packages
IMAGE_DEB="$(fetch_deb "$IMAGE_PKG")"
BUSYBOX_DEB=""
[ -z "$BUSYBOX_PKG" ] || BUSYBOX_DEB="$(fetch_deb "$BUSYBOX_PKG")"
HEADER_DEBS=""
for p in $(headers_packages); do HEADER_DEBS="$HEADER_DEBS $(fetch_deb "$p")"; done

# --- cache key: the scripts, the guest files and every package version that goes into a dump ----
versions_text() {
	echo "family=$FAMILY_LINE"
	echo "kernel_abi=$KERNEL_ABI"
	local deb p
	for deb in $IMAGE_DEB $HEADER_DEBS $BUSYBOX_DEB; do
		echo "$(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version)"
	done
	for p in $HOST_PKGS; do echo "$p=$(installed_version "$p")"; done | sort -u
	echo "qemu=$($QEMU --version | head -n 1)"
}
VERSIONS="$(versions_text)"
KEY="$( {
	echo "$VERSIONS"
	echo "cmdline=$CONSOLE $BASE_CMDLINE qemu=$QEMU_ARGS"
	cd "$HERE" && find . -type f ! -name README.md | LC_ALL=C sort | xargs sha256sum
} | sha256sum | cut -c1-16)"
OUT="$CACHE_ROOT/$KERNEL_ABI-$KEY"

all_done() {
	local s v
	for s in $1; do for v in $VARIANTS; do [ -f "$OUT/$s-$v/DONE" ] || return 1; done; done
}

if [ -f "$OUT/DONE" ] || all_done "$wanted"; then
	note "cache hit: $OUT"
	echo "$OUT"
	exit 0
fi
mkdir -p "$OUT"
# One builder per key: a second run waits here, then finds the first one's work done.
exec 9> "$OUT.lock"
if ! flock -n 9; then
	note "another make-dumps.sh is building $OUT; waiting for it"
	flock 9
fi
if [ -f "$OUT/DONE" ] || all_done "$wanted"; then
	note "cache hit: $OUT"
	echo "$OUT"
	exit 0
fi
echo "$VERSIONS" > "$OUT/versions.txt"

# --- kernel, test module, guest helper, initramfs (shared by all scenarios) --------------------
BUILD="$OUT/build"
build_guest() {
	local t0=$SECONDS work="$OUT/build.partial"
	rm -rf "$work"; mkdir -p "$work"
	note "unpacking $(basename "$IMAGE_DEB")"
	dpkg-deb -x "$IMAGE_DEB" "$work/image"
	local moddir="$work/image/lib/modules/$KERNEL_ABI"
	[ -f "$work/image/boot/vmlinuz-$KERNEL_ABI" ] || die "$IMAGE_DEB has no boot/vmlinuz-$KERNEL_ABI"

	mkdir -p "$work/kernel"
	cp "$work/image/boot/vmlinuz-$KERNEL_ABI" "$work/kernel/vmlinuz"
	# Debian's image package ships a one-line stub System.map (the real one is in -dbg).
	cp "$work/image/boot/System.map-$KERNEL_ABI" "$work/kernel/System.map"
	cp "$work/image/boot/config-$KERNEL_ABI" "$work/kernel/config"
	# vmlinux (no debug info) from the bzImage payload, for its build-id: the first compressed
	# stream whose output is an ELF file (Debian's 6.1 cloud kernel uses LZ4's legacy frame, 6.12
	# zstd). The decompressors stop at or complain about the trailing bytes: their status is ignored.
	local magic tool off
	for magic in '\x02\x21\x4c\x18:lz4' '\x28\xb5\x2f\xfd:zstd' '\x1f\x8b\x08:gzip' '\xfd\x37\x7a\x58\x5a\x00:xz'; do
		tool="${magic##*:}"
		off="$(LC_ALL=C grep -obUaP "${magic%:*}" "$work/kernel/vmlinuz" | head -n 1 | cut -d: -f1)" || true
		[ -n "$off" ] || continue
		tail -c +"$((off + 1))" "$work/kernel/vmlinuz" | "$tool" -dc > "$work/kernel/vmlinux" 2>/dev/null || true
		if [ "$(head -c 4 "$work/kernel/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then break; fi
	done
	if readelf -n "$work/kernel/vmlinux" 2>/dev/null | awk '/Build ID/ { print $3; found=1 } END { exit !found }' > "$work/kernel/build-id.txt"; then
		:
	else
		note "could not extract vmlinux from vmlinuz: no build-id.txt"
		rm -f "$work/kernel/vmlinux" "$work/kernel/build-id.txt"
	fi

	# Modules for the guest: qemu_fw_cfg (VMCOREINFO for -device vmcoreinfo) and veth, with
	# their dependencies first. Debian 6.1 ships them uncompressed; .ko.xz would be unpacked.
	local root="$work/initramfs"
	mkdir -p "$root/bin" "$root/lib/modules" "$root/dev" "$root/proc" "$root/sys" "$root/tmp"
	: > "$root/lib/modules/load-order"
	# The .deb has no modules.dep (depmod makes it at install time): follow each module's own
	# depends= field instead. Module names treat '-' and '_' alike.
	local loaded=" "
	add_module() {
		local name="$1" path dep base
		path="$(find "$moddir/kernel" \( -name "$name.ko" -o -name "$name.ko.xz" -o -name "${name//_/-}.ko" -o -name "${name//_/-}.ko.xz" \) | head -n 1)"
		if [ -z "$path" ]; then
			grep -qE "/($name|${name//_/-})\.ko" "$moddir/modules.builtin" && return 0
			die "no module $name in $IMAGE_PKG"
		fi
		case "$loaded" in *" $path "*) return 0 ;; esac
		loaded="$loaded$path "
		base="$(basename "$path")"
		case "$path" in
		*.xz) xz -dc "$path" > "$root/lib/modules/${base%.xz}"; base="${base%.xz}" ;;
		*) cp "$path" "$root/lib/modules/$base" ;;
		esac
		for dep in $(strings -a "$root/lib/modules/$base" | sed -n 's/^depends=//p' | tr ',' ' '); do
			add_module "$dep"
		done
		echo "$base" >> "$root/lib/modules/load-order"
	}
	add_module qemu_fw_cfg
	add_module veth

	# The headers, unpacked where the build can find them: the flavour's Makefile includes the
	# common tree by its absolute /usr/src path, which is pointed at the unpacked copy instead.
	local deb hdr="$work/headers/usr/src/$HEADERS_PKG"
	for deb in $HEADER_DEBS; do dpkg-deb -x "$deb" "$work/headers"; done
	[ -f "$hdr/Makefile" ] || die "$HEADERS_PKG has no usr/src/$HEADERS_PKG/Makefile"
	sed -i "s|^include /usr/src/|include $work/headers/usr/src/|" "$hdr/Makefile"
	note "building the test module against $HEADERS_PKG"
	cp -r "$HERE/module" "$work/module"
	make -s -C "$hdr" M="$work/module" $MODULE_MAKE_VARS modules > "$work/module-build.log" 2>&1 ||
		{ cat "$work/module-build.log" >&2; die "building module/ktriage_test.ko failed"; }
	local vermagic
	vermagic="$(strings "$work/module/ktriage_test.ko" | sed -n 's/^vermagic=//p')"
	case "$vermagic" in "$KERNEL_ABI "*) ;; *) die "ktriage_test.ko vermagic '$vermagic' is not for $KERNEL_ABI" ;; esac
	cp "$work/module/ktriage_test.ko" "$root/lib/modules/"

	$GUEST_CC -static -O2 -Wall -Wextra -o "$root/bin/ktnet" "$HERE/guest/ktnet.c" || die "building guest/ktnet.c failed"
	if [ -n "$BUSYBOX_DEB" ]; then
		dpkg-deb -x "$BUSYBOX_DEB" "$work/busybox"
		cp "$work/busybox/bin/busybox" "$root/bin/busybox"
		rm -rf "$work/busybox"
	else
		cp /bin/busybox "$root/bin/busybox"
	fi
	file_is_static() { ! readelf -d "$1" 2>/dev/null | grep -q NEEDED; }
	file_is_static "$root/bin/busybox" || die "/bin/busybox is not static (package busybox-static)"
	install -m 0755 "$HERE/guest/init" "$root/init"
	install -m 0755 "$HERE/guest/ns-inner.sh" "$root/ns-inner.sh"
	# Reproducible archive: fixed times and owners, sorted names.
	find "$root" -exec touch -h -d @0 {} +
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible -R 0:0 --quiet | gzip -n -9) > "$work/initrd.img"

	rm -rf "$work/image" "$work/headers"
	rm -rf "$BUILD"; mv "$work" "$BUILD"
	date -u +%FT%TZ > "$BUILD/DONE"
	note "guest built in $((SECONDS - t0)) s"
}
[ -f "$BUILD/DONE" ] || build_guest
mkdir -p "$OUT/kernel"
for f in vmlinuz System.map config vmlinux build-id.txt; do
	if [ -f "$BUILD/kernel/$f" ]; then ln -f "$BUILD/kernel/$f" "$OUT/kernel/$f"; fi
done

# --- one scenario, one variant ----------------------------------------------------------------
# Lines each scenario's console must show (fixed strings, one per line) besides the panic line.
expected_console_lines() {
	case "$1" in
	sysrq) echo "sysrq: Trigger a crash" ;;
	null-deref) echo "kernel NULL pointer dereference" ;; # x86-64 says "BUG: ...", arm64 "Unable to handle ..."
	veth-softlockup) echo "watchdog: BUG: soft lockup - CPU#" ;; # both CPUs' where kallsyms lists softlockup_panic
	igb-vlan-seed) printf '%s\n' "VF 2 attempted to override administratively set VLAN tag" "failed to kill vid 0081/0 for device eth1" ;;
	netns-tcp-pinned) echo "namespace has no process left" ;;
	hung-task) echo "blocked for more than 5 seconds" ;;
	warn) echo "WARNING: CPU: " ;;
	netdev-refcount) echo "unregister_netdevice: waiting for veth0 to become free" ;;
	mutex-owner | mutex-chain | rwsem-write) echo "blocked for more than 5 seconds" ;;
	oom-slab-leak) printf '%s\n' "invoked oom-killer" "panic_on_oom is enabled" ;;
	rcu-stall) echo "detected stall" ;;
	esac
	echo "Kernel panic - not syncing"
}

# The dump must carry the guest's VMCOREINFO (qemu_fw_cfg did its job) and both CPUs' registers.
check_run() {
	local scenario="$1" work="$2" line n
	while IFS= read -r line; do
		grep -qaF "$line" "$work/console.log" ||
			die "scenario $scenario: console.log lacks '$line'; see $work/console.log"
	done < <(expected_console_lines "$scenario")
	local notes; notes="$(readelf -n "$work/vmcore.elf")" # no `| grep -q`: SIGPIPE under pipefail
	grep -q VMCOREINFO <<< "$notes" || die "scenario $scenario: vmcore.elf has no VMCOREINFO note"
	[ "$(head -c 1048576 "$work/vmcore.elf" | grep -caF "OSRELEASE=$KERNEL_ABI")" -ge 1 ] ||
		die "scenario $scenario: VMCOREINFO does not name $KERNEL_ABI"
	n="$(grep -c NT_PRSTATUS <<< "$notes")"
	[ "$n" = 2 ] || die "scenario $scenario: vmcore.elf has $n NT_PRSTATUS notes, not 2"
}

# makedumpfile's verdict on FILE (run inside its directory): "ok" or the error text, one line.
try_makedumpfile_dmesg() {
	local file="$1" out="$2" err
	if err="$(makedumpfile --dump-dmesg "$file" "$out" 2>&1)" && [ -s "$out" ]; then
		echo ok
	else
		rm -f "$out"
		echo "$err" | grep -iE 'error|fail|invalid|not|cannot|can.t' | head -n 3 | tr '\n' ' ' | sed 's/ *$//'
		[ -n "$err" ] || echo "failed without a message"
	fi
}

# What a variant adds to the QEMU command line: the CPU's 52-bit VA support (LPA2) on or off.
variant_qemu_args() {
	case "$1" in
	*va48*) echo "-cpu max,pauth-impdef=on,lpa2=off" ;;
	*) ;;
	esac
}

make_one() {
	local scenario="$1" variant="$2" t0=$SECONDS
	local dir="$OUT/$scenario-$variant" work="$OUT/$scenario-$variant.partial"
	rm -rf "$work" "$dir"; mkdir -p "$work"
	local kaslr=kaslr; case "$variant" in *nokaslr*) kaslr=nokaslr ;; esac
	"$PYTHON" "$HERE/run-guest.py" --qemu "$QEMU" --machine="$QEMU_ARGS $(variant_qemu_args "$variant")" --outdir "$work" --timeout "$TIMEOUT" \
		--kernel "$BUILD/kernel/vmlinuz" --initrd "$BUILD/initrd.img" \
		--append "$CONSOLE $BASE_CMDLINE $kaslr ktriage.scenario=$scenario" ||
		die "scenario $scenario ($variant) failed; partial output kept in $work"
	check_run "$scenario" "$work"
	(
		cd "$work"
		: > makedumpfile.tsv
		# QEMU writes the kdump formats flattened (for pipes); makedumpfile -R makes the
		# random-access file that crash, makedumpfile and libkdumpfile read.
		for flat in vmcore.kdump-*.flat; do
			[ -e "$flat" ] || continue
			fmt="${flat%.flat}"
			makedumpfile -R "$fmt" < "$flat" > reassemble.log 2>&1 ||
				die "makedumpfile -R $work/$flat failed: $(tail -n 3 reassemble.log)"
			rm -f reassemble.log
			printf '%s --dump-dmesg\t%s\n' "$fmt" "$(try_makedumpfile_dmesg "$fmt" .dmesg)" >> makedumpfile.tsv
			if [ "$fmt" = vmcore.kdump-zlib ]; then
				if [ -f .dmesg ]; then mv .dmesg makedumpfile-dmesg.txt
				else awk -F'\t' '$1 ~ /^vmcore.kdump-zlib / { print $2 }' makedumpfile.tsv > makedumpfile-dmesg.error.txt; fi
			fi
			rm -f .dmesg
		done
		printf 'vmcore.elf --dump-dmesg\t%s\n' "$(try_makedumpfile_dmesg vmcore.elf .dmesg)" >> makedumpfile.tsv
		rm -f .dmesg
		# Most of a small guest's memory is zero: keep the ELF byte-identical but sparse on disk.
		fallocate --dig-holes vmcore.elf 2>/dev/null || true
	)
	local verdicts="$work/makedumpfile.tsv"
	chmod 0644 "$work"/*
	"$PYTHON" "$HERE/write-meta.py" "$work" "$scenario" "$variant" "$OUT/versions.txt" "$verdicts" "$((SECONDS - t0))"
	rm -f "$verdicts"
	date -u +%FT%TZ > "$work/DONE"
	mv "$work" "$dir"
	printf 'make-dumps: %-28s %4d s  (panic after %s s of QEMU)\n' "$scenario-$variant" "$((SECONDS - t0))" \
		"$(sed -n 's/.*"seconds_to_panic": \([0-9.]*\).*/\1/p' "$dir/meta.json")"
}

total0=$SECONDS
for scenario in $wanted; do
	for variant in $VARIANTS; do
		[ -f "$OUT/$scenario-$variant/DONE" ] || make_one "$scenario" "$variant"
	done
done
if all_done "$SCENARIOS"; then date -u +%FT%TZ > "$OUT/DONE"; fi
echo "make-dumps: done in $((SECONDS - total0)) s"
echo "$OUT"
