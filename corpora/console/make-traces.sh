#!/bin/bash
# Makes the real tracing-tool consoles corpora/console/debian-<version>-qemu-traces/*-put-net-*.log:
# boots one x86-64 family's Debian cloud kernel (corpora/families.txt) in QEMU/TCG once per tool
# and case, with a busybox initramfs that carries that tool and its shared libraries (from the
# host's Debian packages), traces __put_net while traces/case.sh frees a network namespace, and
# keeps the serial console from the guest's first "ktraces: ===" line to its "ktraces: done".
# The kernel .deb is the one corpora/dumps/make-dumps.sh downloads (shared cache folder).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${KTRIAGE_CACHE:-$HOME/.cache/ktriage}"
DEBS="$CACHE_ROOT/dumps/debs" # shared with make-dumps.sh
TIMEOUT="${KTRIAGE_TRACE_TIMEOUT:-300}" # seconds per boot
ALL_TOOLS="ftrace-kprobe ftrace-function perf-tools-kprobe trace-cmd trace-cmd-function perf bpftrace"
ALL_CASES="tcp-timer process-exit"
. "$HERE/../family.sh"

die() { echo "make-traces: error: $*" >&2; exit 1; }
note() { echo "make-traces: $*" >&2; }

usage() {
	cat <<EOF
usage: $0 [--family NAME] [--tool NAME]... [--case NAME]... [--outdir DIR]
Boots the family's Debian kernel once per tool and case and writes
<outdir>/<tool>-put-net-<case>.log (default outdir: corpora/console/debian-<version>-qemu-traces).
  --family NAME  an amd64 family of corpora/families.txt; default: the first one
  --tool NAME    one of: $ALL_TOOLS (repeatable; default all)
  --case NAME    one of: $ALL_CASES (repeatable; default both)
Environment: KTRIAGE_CACHE (cache root), KTRIAGE_TRACE_TIMEOUT (seconds per boot, default $TIMEOUT).
EOF
}

family="" tools="" cases="" outdir=""
while [ $# -gt 0 ]; do
	case "$1" in
	--family) [ $# -ge 2 ] || die "--family needs a NAME"; family="$2"; shift 2 ;;
	--tool) [ $# -ge 2 ] || die "--tool needs a NAME"; tools="$tools $2"; shift 2 ;;
	--case) [ $# -ge 2 ] || die "--case needs a NAME"; cases="$cases $2"; shift 2 ;;
	--outdir) [ $# -ge 2 ] || die "--outdir needs a DIR"; outdir="$2"; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument '$1'" ;;
	esac
done
load_family "$family" || die "see corpora/families.txt"
[ "$ARCH" = amd64 ] || die "family $FAMILY: only x86-64 families are traced (the tools are the host's amd64 builds)"
[ -n "$tools" ] || tools="$ALL_TOOLS"
[ -n "$cases" ] || cases="$ALL_CASES"
for t in $tools; do case " $ALL_TOOLS " in *" $t "*) ;; *) die "unknown tool '$t'" ;; esac; done
for c in $cases; do case " $ALL_CASES " in *" $c "*) ;; *) die "unknown case '$c'" ;; esac; done
version="${FAMILY%-*}" # 6.1-amd64 -> 6.1
[ -n "$outdir" ] || outdir="$HERE/debian-$version-qemu-traces"
mkdir -p "$outdir"

# --- host packages: QEMU, the guest's userland and the tools themselves -------------------------
HOST_PKGS="qemu-system-x86 busybox-static cpio gcc libc6-dev binutils xz-utils zstd bash trace-cmd linux-perf bpftrace perf-tools-unstable"
installed_version() { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null | awk '$3 == "installed" { print $4 }'; }
apt_updated=false
apt_update() {
	$apt_updated && return 0
	note "apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed"
	apt_updated=true
}
missing=""
for p in $HOST_PKGS; do [ -n "$(installed_version "$p")" ] || missing="$missing $p"; done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "missing Debian packages:$missing (run as root, or apt-get install them)"
	apt_update
	note "installing:$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2 ||
		die "apt-get install$missing failed"
fi

# The kernel image .deb, downloaded (never installed) into the folder make-dumps.sh uses.
fetch_deb() {
	local pkg="$1" deb version
	deb="$(ls "$DEBS/${pkg}_"*.deb 2>/dev/null | sort -V | tail -n 1)"
	if [ -z "$deb" ]; then
		version="$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
		if [ -z "$version" ] || [ "$version" = "(none)" ]; then
			apt_update
			version="$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')"
		fi
		[ -n "$version" ] && [ "$version" != "(none)" ] || die "Debian has no package $pkg"
		mkdir -p "$DEBS"
		note "downloading $pkg $version"
		(cd "$DEBS" && apt-get download -qq "$pkg=$version" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
		deb="$(ls "$DEBS/${pkg}_"*.deb 2>/dev/null | sort -V | tail -n 1)"
		[ -n "$deb" ] || die "apt-get download $pkg=$version failed"
	fi
	echo "$deb"
}
IMAGE_DEB="$(fetch_deb "linux-image-$KERNEL_ABI-unsigned")"

# --- kernel, veth.ko, the guest's common files ---------------------------------------------------
WORK="$CACHE_ROOT/traces/$KERNEL_ABI"
KDIR="$WORK/kernel-$(basename "$IMAGE_DEB" .deb)"
if [ ! -f "$KDIR/DONE" ]; then
	note "unpacking $(basename "$IMAGE_DEB")"
	rm -rf "$KDIR" "$KDIR.partial"; mkdir -p "$KDIR.partial"
	dpkg-deb -x "$IMAGE_DEB" "$KDIR.partial/image"
	cp "$KDIR.partial/image/boot/vmlinuz-$KERNEL_ABI" "$KDIR.partial/vmlinuz"
	ko="$(find "$KDIR.partial/image/lib/modules" -name 'veth.ko*' | head -n 1)"
	[ -n "$ko" ] || die "no veth.ko in $IMAGE_DEB"
	case "$ko" in
	*.xz) xz -dc "$ko" > "$KDIR.partial/veth.ko" ;;
	*.zst) zstd -qdc "$ko" > "$KDIR.partial/veth.ko" ;;
	*) cp "$ko" "$KDIR.partial/veth.ko" ;;
	esac
	[ -z "$(strings -a "$KDIR.partial/veth.ko" | sed -n 's/^depends=//p')" ] || die "veth.ko has dependencies"
	rm -rf "$KDIR.partial/image"
	date -u +%FT%TZ > "$KDIR.partial/DONE"
	mv "$KDIR.partial" "$KDIR"
fi

BASE="$WORK/base"
rm -rf "$BASE"; mkdir -p "$BASE/bin" "$BASE/usr/bin" "$BASE/usr/sbin" "$BASE/usr/lib/modules" "$BASE/usr/lib64" "$BASE/traces"
ln -s usr/lib "$BASE/lib"
ln -s usr/lib64 "$BASE/lib64"
cp /bin/busybox "$BASE/bin/busybox"
readelf -d "$BASE/bin/busybox" | grep -q NEEDED && die "/bin/busybox is not static (package busybox-static)"
gcc -static -O2 -Wall -Wextra -o "$BASE/usr/bin/ktnet" "$HERE/../dumps/guest/ktnet.c" || die "building ktnet failed"
cp "$KDIR/veth.ko" "$BASE/usr/lib/modules/"
echo veth.ko > "$BASE/usr/lib/modules/load-order"
install -m 0755 "$HERE/traces/init" "$BASE/init"
install -m 0755 "$HERE/traces/case.sh" "$HERE/traces/ns-inner.sh" "$BASE/traces/"

# A program and the shared libraries ldd finds for it, at their paths (merged /usr: /lib and
# /lib64 are links into usr/).
add_program() {
	local root="$1" prog="$2" lib
	mkdir -p "$root$(dirname "$prog")"
	cp -L "$prog" "$root$prog"
	for lib in $(ldd "$prog" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
tool_programs() {
	case "$1" in
	ftrace-kprobe | ftrace-function) ;;
	perf-tools-kprobe) echo /bin/bash /usr/sbin/kprobe-perf ;;
	trace-cmd | trace-cmd-function) echo /usr/bin/trace-cmd ;;
	perf) echo /usr/bin/perf ;;
	bpftrace) echo /usr/bin/bpftrace ;;
	esac
}
tool_memory() { case "$1" in bpftrace) echo 2048M ;; *) echo 512M ;; esac; }

make_initrd() {
	local tool="$1" root="$WORK/root-$1" p
	rm -rf "$root"; cp -a "$BASE" "$root"
	for p in $(tool_programs "$tool"); do
		case "$p" in
		/usr/sbin/kprobe-perf) install -m 0755 "$p" "$root$p" ;; # a bash script
		*) add_program "$root" "$p" ;;
		esac
	done
	# trace-cmd reads its event plugins from here (optional, but they format some events).
	if [ -d /usr/lib/x86_64-linux-gnu/traceevent/plugins ] && [ "${tool#trace-cmd}" != "$tool" ]; then
		mkdir -p "$root/usr/lib/x86_64-linux-gnu/traceevent"
		cp -a /usr/lib/x86_64-linux-gnu/traceevent/plugins "$root/usr/lib/x86_64-linux-gnu/traceevent/"
	fi
	find "$root" -exec touch -h -d @0 {} +
	# Uncompressed: TCG would take longer to inflate it than the kernel takes to copy it.
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible -R 0:0 --quiet) > "$WORK/initrd-$tool.cpio"
	rm -rf "$root"
}

# The lines every log must have: the markers, and the frames that say which __put_net it was.
check_log() {
	local log="$1" tool="$2" case="$3" want w
	grep -q "ktraces: done" "$log" || { note "$tool/$case: no 'ktraces: done' line"; return 1; }
	if grep -q "ktraces: FAILED" "$log"; then note "$tool/$case: $(grep -a 'ktraces: FAILED' "$log" | head -n 1)"; return 1; fi
	# tcp_write_timer's last sock_put is a tail call: call_timer_fn is the frame below __sk_destruct.
	case "$case" in
	tcp-timer) want="__sk_destruct call_timer_fn" ;;
	process-exit) want="free_nsproxy do_exit" ;;
	esac
	for w in $want; do
		grep -q "$w" "$log" || { note "$tool/$case: the output names no $w"; return 1; }
	done
}

# One boot; a second and a third when the first fails: under TCG a vCPU sometimes misses the
# IPI of ftrace's text patching and the other CPU soft-locks (seen once with trace-cmd's function
# tracer); softlockup_panic=1 and panic=-1 end such a boot at once.
run_one() {
	local attempt
	for attempt in 1 2 3; do
		boot_one "$@" && return 0
		[ $attempt = 3 ] || note "$1/$2: attempt $attempt failed, trying again"
	done
	return 1
}

boot_one() {
	local tool="$1" case="$2" t0=$SECONDS console="$WORK/console-$1-$2.log"
	local out="$outdir/$tool-put-net-$case.log"
	rm -f "$console"
	timeout "$TIMEOUT" qemu-system-x86_64 -machine pc -cpu qemu64 -accel tcg,thread=multi \
		-m "$(tool_memory "$tool")" -smp 2 -nodefaults -display none -no-reboot \
		-kernel "$KDIR/vmlinuz" -initrd "$WORK/initrd-$tool.cpio" \
		-append "console=ttyS0,115200 rdinit=/init panic=-1 softlockup_panic=1 kaslr ktraces.tool=$tool ktraces.case=$case" \
		-serial "file:$console" < /dev/null > "$WORK/qemu-$tool-$case.out" 2>&1 ||
		note "$tool/$case: QEMU exited with status $? ($(tail -c 300 "$WORK/qemu-$tool-$case.out"))"
	# From the first marker to the last: the boot before it and the power-off after it are noise.
	awk '/ktraces: ===/ { on = 1 } on { print } /ktraces: done/ { exit }' "$console" > "$out.partial"
	if check_log "$out.partial" "$tool" "$case"; then
		mv "$out.partial" "$out"
		printf 'make-traces: %-36s %4d s  %s\n' "$tool/$case" "$((SECONDS - t0))" "$out"
	else
		note "$tool/$case failed; the console is $console (tail below)"
		tail -n 25 "$console" | sed 's/^/    /' >&2
		rm -f "$out.partial"
		return 1
	fi
}

total0=$SECONDS failed=""
for tool in $tools; do
	make_initrd "$tool"
	for case in $cases; do run_one "$tool" "$case" || failed="$failed $tool/$case"; done
	rm -f "$WORK/initrd-$tool.cpio"
done
note "done in $((SECONDS - total0)) s"
[ -z "$failed" ] || die "failed:$failed"
echo "$outdir"
