// SPDX-License-Identifier: GPL-2.0
// ktriage_test: makes the kernel failures that the dump scenarios need, chosen by `mode=`:
//   softlockup  hook on netdev_pick_tx that spins forever for veth devices (seed 000): a kprobe
//               on x86-64; on arm64 an ftrace callback, since a kprobe's handler runs there with
//               interrupts masked and the soft lockup watchdog would never see it
//   warn        WARN_ON(1) at load (with panic_on_warn=1 this panics)
//   hung        insmod blocks uninterruptibly in module init (hung task detector)
//   holddev     takes a reference on the device named by `dev=` and never drops it
//   nullderef   reads through a NULL pointer at load (an oops; with oops=panic, a panic)
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/ftrace.h>
#include <linux/version.h>
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

// The hook of netdev_pick_tx(dev, skb, sb_dev), given its first argument. It never returns for
// veth devices: transmit runs with BH disabled, so the watchdog thread starves and the soft lockup
// detector fires on every CPU that gets here.
static noinline int pick_tx_pre(struct net_device *netdev)
{
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

#ifdef CONFIG_ARM64
static void pick_tx_ftrace(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op,
			   struct ftrace_regs *fregs)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	pick_tx_pre((struct net_device *)ftrace_regs_get_argument(fregs, 0));
#else
	pick_tx_pre((struct net_device *)ftrace_get_regs(fregs)->regs[0]);
#endif
}

static struct ftrace_ops pick_tx_ops = {
	.func = pick_tx_ftrace,
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
	.flags = FTRACE_OPS_FL_SAVE_REGS,
#endif
};

static int hook_pick_tx(void)
{
	int err = ftrace_set_filter(&pick_tx_ops, "netdev_pick_tx", strlen("netdev_pick_tx"), 0);

	if (!err)
		err = register_ftrace_function(&pick_tx_ops);
	if (err)
		pr_err("ktriage_test: ftrace on netdev_pick_tx failed: %d\n", err);
	else
		pr_info("ktriage_test: ftrace callback on netdev_pick_tx\n");
	return err;
}

static void unhook_pick_tx(void)
{
	unregister_ftrace_function(&pick_tx_ops);
}
#else
// The first argument is in %rdi.
static int pick_tx_kprobe(struct kprobe *p, struct pt_regs *regs)
{
	return pick_tx_pre((struct net_device *)regs->di);
}
NOKPROBE_SYMBOL(pick_tx_kprobe);

static struct kprobe pick_tx_probe = {
	.symbol_name = "netdev_pick_tx",
	.pre_handler = pick_tx_kprobe,
};

static int hook_pick_tx(void)
{
	int err = register_kprobe(&pick_tx_probe);

	if (err)
		pr_err("ktriage_test: register_kprobe(netdev_pick_tx) failed: %d\n", err);
	else
		pr_info("ktriage_test: kprobe on netdev_pick_tx at %px\n", pick_tx_probe.addr);
	return err;
}

static void unhook_pick_tx(void)
{
	unregister_kprobe(&pick_tx_probe);
}
#endif

static int __init ktriage_test_init(void)
{
	int err;

	if (!strcmp(mode, "softlockup")) {
		err = hook_pick_tx();
		if (err)
			return err;
		kprobe_registered = true;
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
		unhook_pick_tx();
	if (held_dev)
		dev_put(held_dev);
}

module_init(ktriage_test_init);
module_exit(ktriage_test_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ktriage: deliberate kernel failures for crash dump fixtures");
