#!/bin/sh
# The traced event, run by /init directly or as the command a tracer runs (trace-cmd record,
# perf record, bpftrace -c). Prints "ktraces:" lines on its stdout.
#   tcp-timer:    a netns whose last process exited, pinned by an orphaned TCP socket with
#                 unacknowledged data (peer link down; corpora/dumps scenario netns-tcp-pinned),
#                 until the retransmit timer gives up: __put_net from the timer softirq.
#   process-exit: a netns whose last process exits with no socket left: __put_net from do_exit.
say() { echo "ktraces: $*"; }
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

tcp_timer() {
	ktnet veth veth-host 1 veth-ns 1 || { say "FAILED: veth"; exit 1; }
	ip addr add 10.0.7.1/24 dev veth-host
	ip link set veth-host up
	cat /sys/class/net/veth-host/address > /tmp/peer-mac
	# A pipe that stays open keeps busybox nc's side established (see corpora/dumps/guest/init).
	sleep 600 | nc -l -p 5000 > /tmp/received &
	listener=$!
	unshare -n /bin/sh /traces/ns-inner.sh &
	inner=$!
	while [ ! -e /tmp/inner-ready ]; do usleep 100000; done
	ktnet netns veth-ns $inner || { say "FAILED: netns"; exit 1; }
	i=0
	while [ ! -e /tmp/connected ]; do
		sleep 1; i=$((i + 1)); [ $i -lt 30 ] || { say "FAILED: no TCP connection from the namespace"; exit 1; }
	done
	say "tcp-timer: connected, taking veth-host down"
	ip link set veth-host down
	touch /tmp/go
	sleep 2
	kill -9 "$(cat /tmp/ncpid)" 2>/dev/null
	wait $inner
	t0=$(now_ms)
	say "tcp-timer: namespace has no process left (received $(wc -c < /tmp/received) bytes); waiting for the TCP timer"
	# cleanup_net deletes veth-ns and with it its peer: veth-host goes when the netns is freed.
	i=0
	while [ -e /sys/class/net/veth-host ]; do
		usleep 100000; i=$((i + 1)); [ $i -lt 600 ] || { say "FAILED: the namespace was not freed in 60 s"; exit 1; }
	done
	say "tcp-timer: namespace freed $(( $(now_ms) - t0 )) ms after its last process exited"
	kill "$listener" 2>/dev/null
	sleep 1
}

process_exit() {
	unshare -n /bin/sh -c 'ip link set lo up; sleep 1' || { say "FAILED: unshare"; exit 1; }
	say "process-exit: the namespace's last process exited"
	sleep 1
}

case "$1" in
tcp-timer) tcp_timer ;;
process-exit) process_exit ;;
*) say "FAILED: unknown case '$1'"; exit 1 ;;
esac
