#!/bin/bash
# Makes real kernel crash dumps (QEMU ELF and kdump formats) and their serial-console logs by
# booting Debian's cloud kernel under QEMU/TCG, for the vmcore reader's tests. Cached under
# ${KTRIAGE_CACHE:-$HOME/.cache/ktriage}/dumps/<key>/; the last stdout line is that directory.
set -euo pipefail

KERNEL_ABI="${KTRIAGE_KERNEL_ABI:-6.1.0-50-cloud-amd64}"
SCENARIOS="sysrq null-deref veth-softlockup igb-vlan-seed netns-tcp-pinned hung-task warn netdev-refcount"
VARIANTS="nokaslr kaslr"
TIMEOUT="${KTRIAGE_DUMP_TIMEOUT:-300}" # seconds from QEMU start to the guest's panic
# Every guest gets these; the scenario picks its own failure (see guest/init).
BASE_CMDLINE="console=ttyS0,115200 panic=0 oops=panic softlockup_panic=1 watchdog_thresh=5 hung_task_panic=1 panic_on_warn=1 rdinit=/init"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${KTRIAGE_CACHE:-$HOME/.cache/ktriage}/dumps"
PYTHON=/usr/bin/python3 # Debian's, not whatever python3 comes first in PATH
IMAGE_PKG="linux-image-$KERNEL_ABI-unsigned"
HEADERS_PKG="linux-headers-$KERNEL_ABI"
HOST_PKGS="qemu-system-x86 makedumpfile busybox-static cpio gzip lz4 xz-utils binutils util-linux python3 gcc make libc6-dev $HEADERS_PKG"

die() { echo "make-dumps: error: $*" >&2; exit 1; }
note() { echo "make-dumps: $*" >&2; }

usage() {
	cat <<EOF
usage: $0 [--scenario NAME]... [--list]
Boots $IMAGE_PKG in QEMU once per scenario and variant (nokaslr, kaslr),
dumps the panicked guest and prints the output directory on the last line.
  --scenario NAME  make only this scenario (repeatable); default: all of --list
  --list           print the scenario names and exit
Environment: KTRIAGE_CACHE (cache root), KTRIAGE_KERNEL_ABI (default $KERNEL_ABI),
KTRIAGE_DUMP_TIMEOUT (seconds to the panic, default $TIMEOUT).
EOF
}

wanted=""
while [ $# -gt 0 ]; do
	case "$1" in
	--list) for s in $SCENARIOS; do echo "$s"; done; exit 0 ;;
	--scenario)
		[ $# -ge 2 ] || die "--scenario needs a NAME (see --list)"
		case " $SCENARIOS " in *" $2 "*) ;; *) die "unknown scenario '$2' (see --list)" ;; esac
		wanted="$wanted $2"; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
done
[ -n "$wanted" ] || wanted="$SCENARIOS"

# --- host packages -----------------------------------------------------------------------------
installed_version() { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | awk '$3 == "installed" { print $4 }'; }

apt_updated=false
apt_update() {
	$apt_updated && return 0
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

# The kernel image is never installed on the host: its .deb is kept in the cache and unpacked.
image_deb() {
	local deb
	deb="$(ls "$CACHE_ROOT/debs/${IMAGE_PKG}_"*.deb 2>/dev/null | sort -V | tail -n 1)"
	if [ -z "$deb" ]; then
		local version
		version="$(apt-cache policy "$IMAGE_PKG" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
		if [ -z "$version" ] || [ "$version" = "(none)" ]; then
			apt_update
			version="$(apt-cache policy "$IMAGE_PKG" | awk '/Candidate:/ { print $2 }')"
		fi
		[ -n "$version" ] && [ "$version" != "(none)" ] ||
			die "Debian has no package $IMAGE_PKG (set KTRIAGE_KERNEL_ABI to an available ABI)"
		mkdir -p "$CACHE_ROOT/debs"
		note "downloading $IMAGE_PKG $version"
		(cd "$CACHE_ROOT/debs" && apt-get download -qq "$IMAGE_PKG=$version" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
		deb="$(ls "$CACHE_ROOT/debs/${IMAGE_PKG}_"*.deb 2>/dev/null | sort -V | tail -n 1)"
		[ -n "$deb" ] || die "apt-get download $IMAGE_PKG=$version failed"
	fi
	echo "$deb"
}

ensure_host_packages
IMAGE_DEB="$(image_deb)"
IMAGE_VERSION="$(dpkg-deb -f "$IMAGE_DEB" Version)"

# --- cache key: the scripts, the guest files and every package version that goes into a dump ----
versions_text() {
	echo "kernel_abi=$KERNEL_ABI"
	echo "$IMAGE_PKG=$IMAGE_VERSION"
	local p
	for p in $HOST_PKGS "linux-kbuild-$(echo "$KERNEL_ABI" | cut -d. -f1,2)"; do
		echo "$p=$(installed_version "$p")"
	done | sort -u
	echo "qemu=$(qemu-system-x86_64 --version | head -n 1)"
}
VERSIONS="$(versions_text)"
KEY="$( {
	echo "$VERSIONS"
	echo "scenarios=$SCENARIOS variants=$VARIANTS cmdline=$BASE_CMDLINE"
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
	# vmlinux (no debug info) from the bzImage payload, for its build-id. Debian compresses the
	# cloud kernel with LZ4 (legacy frame, magic 02 21 4c 18); lz4 stops at the trailing bytes.
	local off
	off="$(LC_ALL=C grep -obUaP '\x02\x21\x4c\x18' "$work/kernel/vmlinuz" | head -n 1 | cut -d: -f1)"
	if [ -n "$off" ]; then
		tail -c +"$((off + 1))" "$work/kernel/vmlinuz" | lz4 -dc > "$work/kernel/vmlinux" 2>/dev/null || true
	fi
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

	note "building the test module against $HEADERS_PKG"
	cp -r "$HERE/module" "$work/module"
	make -s -C "/usr/src/$HEADERS_PKG" M="$work/module" modules > "$work/module-build.log" 2>&1 ||
		{ cat "$work/module-build.log" >&2; die "building module/ktriage_test.ko failed"; }
	local vermagic
	vermagic="$(strings "$work/module/ktriage_test.ko" | sed -n 's/^vermagic=//p')"
	case "$vermagic" in "$KERNEL_ABI "*) ;; *) die "ktriage_test.ko vermagic '$vermagic' is not for $KERNEL_ABI" ;; esac
	cp "$work/module/ktriage_test.ko" "$root/lib/modules/"

	gcc -static -O2 -Wall -Wextra -o "$root/bin/ktnet" "$HERE/guest/ktnet.c" || die "building guest/ktnet.c failed"
	cp /bin/busybox "$root/bin/busybox"
	file_is_static() { ! readelf -d "$1" 2>/dev/null | grep -q NEEDED; }
	file_is_static "$root/bin/busybox" || die "/bin/busybox is not static (package busybox-static)"
	install -m 0755 "$HERE/guest/init" "$root/init"
	install -m 0755 "$HERE/guest/ns-inner.sh" "$root/ns-inner.sh"
	# Reproducible archive: fixed times and owners, sorted names.
	find "$root" -exec touch -h -d @0 {} +
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible -R 0:0 --quiet | gzip -n -9) > "$work/initrd.img"

	rm -rf "$work/image"
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
	null-deref) echo "BUG: kernel NULL pointer dereference" ;;
	veth-softlockup) printf '%s\n' "watchdog: BUG: soft lockup - CPU#0" "watchdog: BUG: soft lockup - CPU#1" ;;
	igb-vlan-seed) printf '%s\n' "VF 2 attempted to override administratively set VLAN tag" "failed to kill vid 0081/0 for device eth1" ;;
	netns-tcp-pinned) echo "namespace has no process left" ;;
	hung-task) echo "blocked for more than 5 seconds" ;;
	warn) echo "WARNING: CPU: " ;;
	netdev-refcount) echo "unregister_netdevice: waiting for veth0 to become free" ;;
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

make_one() {
	local scenario="$1" variant="$2" t0=$SECONDS
	local dir="$OUT/$scenario-$variant" work="$OUT/$scenario-$variant.partial"
	rm -rf "$work" "$dir"; mkdir -p "$work"
	local kaslr=kaslr; [ "$variant" = nokaslr ] && kaslr=nokaslr
	"$PYTHON" "$HERE/run-guest.py" --outdir "$work" --timeout "$TIMEOUT" \
		--kernel "$BUILD/kernel/vmlinuz" --initrd "$BUILD/initrd.img" \
		--append "$BASE_CMDLINE $kaslr ktriage.scenario=$scenario" ||
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
