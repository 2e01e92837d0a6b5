#!/bin/sh
# Runs inside the new network namespace of case tcp-timer (the steps of corpora/dumps/guest/
# ns-inner.sh, plus sysctls that make the orphaned socket's retransmit timer give up within
# seconds): waits for veth-ns to be moved in, connects to the host side, sends a line that is
# acknowledged, then (after the host took its link down) data that never will be.
echo 1 > /proc/sys/net/ipv4/tcp_orphan_retries # 0 would mean 8
echo 3 > /proc/sys/net/ipv4/tcp_retries2
touch /tmp/inner-ready
i=0
until ip link show veth-ns >/dev/null 2>&1; do
	usleep 100000; i=$((i + 1)); [ $i -lt 100 ] || exit 1
done
ip link set lo up
ip addr add 10.0.7.2/24 dev veth-ns
ip link set veth-ns up
arp -i veth-ns -s 10.0.7.1 "$(cat /tmp/peer-mac)"
sleep 1
mkfifo /tmp/tonc
nc 10.0.7.1 5000 < /tmp/tonc &
echo $! > /tmp/ncpid
exec 3> /tmp/tonc
echo "acknowledged line from the namespace" >&3
sleep 1
touch /tmp/connected
while [ ! -e /tmp/go ]; do usleep 100000; done
dd if=/dev/zero bs=1024 count=64 >&3 2>/dev/null
wait
exit 0
