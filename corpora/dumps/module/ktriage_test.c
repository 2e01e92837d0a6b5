// SPDX-License-Identifier: GPL-2.0
// ktriage_test: makes the kernel failures that the dump scenarios need, chosen by `mode=`:
//   softlockup  kprobe on netdev_pick_tx that spins forever for veth devices (seed 000)
//   warn        WARN_ON(1) at load (with panic_on_warn=1 this panics)
//   hung        insmod blocks uninterruptibly in module init (hung task detector)
//   holddev     takes a reference on the device named by `dev=` and never drops it
//   nullderef   reads through a NULL pointer at load (an oops; with oops=panic, a panic)
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/panic.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <net/net_namespace.h>
#include <net/rtnetlink.h>

static char *mode = "none";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "softlockup | warn | hung | holddev | nullderef");

static char *dev = "veth0";
module_param(dev, charp, 0444);
MODULE_PARM_DESC(dev, "device name for mode=holddev");

// Address of the kernel's softlockup_panic (from /proc/kallsyms; it is not exported). The guest
// boots with it cleared so that every spinning CPU gets to print its soft lockup report; rearm_ms
// after the first report (taint L) it is set again and the next report panics. Time is counted in
// jiffies: under TCG, mdelay() drifts far from the watchdog's clock.
static ulong softlockup_panic_addr;
module_param(softlockup_panic_addr, ulong, 0444);
static uint rearm_ms = 4000;
module_param(rearm_ms, uint, 0444);
static atomic_long_t first_report_seen_at = ATOMIC_LONG_INIT(0);
static atomic_t rearmed = ATOMIC_INIT(0);

static void rearm_softlockup_panic(void)
{
	long seen;

	if (!softlockup_panic_addr || !test_taint(TAINT_SOFTLOCKUP) || atomic_read(&rearmed))
		return;
	seen = atomic_long_read(&first_report_seen_at);
	if (!seen) {
		atomic_long_cmpxchg(&first_report_seen_at, 0, (long)(jiffies | 1));
		return;
	}
	if (time_after(jiffies, (unsigned long)seen + msecs_to_jiffies(rearm_ms)) &&
	    !atomic_xchg(&rearmed, 1)) {
		pr_info("ktriage_test: setting softlockup_panic=1\n");
		WRITE_ONCE(*(unsigned int *)softlockup_panic_addr, 1);
	}
}
NOKPROBE_SYMBOL(rearm_softlockup_panic);

static struct net_device *held_dev;
static DECLARE_COMPLETION(never_completed);
static bool kprobe_registered;
static int *volatile null_pointer; // volatile: the compiler may not prove it NULL and elide the read

static bool is_veth(const struct net_device *netdev)
{
	return netdev && netdev->rtnl_link_ops && netdev->rtnl_link_ops->kind &&
	       !strcmp(netdev->rtnl_link_ops->kind, "veth");
}

// Pre-handler of netdev_pick_tx(dev, skb, sb_dev): the first argument is in %rdi. It never
// returns for veth devices: transmit runs with BH disabled, so the watchdog thread starves and
// the soft lockup detector fires on every CPU that gets here.
static int pick_tx_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct net_device *netdev = (struct net_device *)regs->di;

	if (!is_veth(netdev))
		return 0;
	pr_info("ktriage_test: spinning in netdev_pick_tx for %s on CPU %d\n", netdev->name,
		raw_smp_processor_id());
	for (;;) {
		mdelay(10);
		rearm_softlockup_panic();
	}
	return 0;
}
NOKPROBE_SYMBOL(pick_tx_pre);

static struct kprobe pick_tx_probe = {
	.symbol_name = "netdev_pick_tx",
	.pre_handler = pick_tx_pre,
};

static int __init ktriage_test_init(void)
{
	int err;

	if (!strcmp(mode, "softlockup")) {
		err = register_kprobe(&pick_tx_probe);
		if (err) {
			pr_err("ktriage_test: register_kprobe(netdev_pick_tx) failed: %d\n", err);
			return err;
		}
		kprobe_registered = true;
		pr_info("ktriage_test: kprobe on netdev_pick_tx at %px\n", pick_tx_probe.addr);
		return 0;
	}
	if (!strcmp(mode, "warn")) {
		WARN_ON(1);
		return 0;
	}
	if (!strcmp(mode, "hung")) {
		pr_info("ktriage_test: blocking insmod (pid %d) forever\n", current->pid);
		wait_for_completion(&never_completed);
		return 0;
	}
	if (!strcmp(mode, "holddev")) {
		held_dev = dev_get_by_name(&init_net, dev);
		if (!held_dev) {
			pr_err("ktriage_test: no device %s\n", dev);
			return -ENODEV;
		}
		pr_info("ktriage_test: holding a reference on %s\n", dev);
		return 0;
	}
	if (!strcmp(mode, "nullderef")) {
		pr_info("ktriage_test: reading through a NULL pointer\n");
		return READ_ONCE(*null_pointer);
	}
	pr_err("ktriage_test: unknown mode %s\n", mode);
	return -EINVAL;
}

static void __exit ktriage_test_exit(void)
{
	if (kprobe_registered)
		unregister_kprobe(&pick_tx_probe);
	if (held_dev)
		dev_put(held_dev);
}

module_init(ktriage_test_init);
module_exit(ktriage_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ktriage: deliberate kernel failures for crash dump fixtures");
