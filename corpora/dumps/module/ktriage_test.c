// SPDX-License-Identifier: GPL-2.0
// ktriage_test: makes the kernel failures that the dump scenarios need, chosen by `mode=`:
//   softlockup  hook on netdev_pick_tx that spins forever for veth devices (seed 000): a kprobe
//               on x86-64; on arm64 an ftrace callback, since a kprobe's handler runs there with
//               interrupts masked and the soft lockup watchdog would never see it
//   warn        WARN_ON(1) at load (with panic_on_warn=1 this panics)
//   hung        insmod blocks uninterruptibly in module init (hung task detector)
//   holddev     takes a reference on the device named by `dev=` and never drops it
//   nullderef   reads through a NULL pointer at load (an oops; with oops=panic, a panic)
//   mutex       a kthread takes ktriage_mutex_a and sleeps in this module; two kthreads block on it
//   chain       as mutex, and a second kthread holds ktriage_mutex_b while blocked on a; a third
//               blocks on b (a chain of two)
//   rwsem       a kthread holds ktriage_rwsem for write and sleeps here; a reader and a second
//               writer block on it
//   oomleak     allocates from the ktriage_leak slab cache until the OOM killer runs (with
//               vm.panic_on_oom=1 it panics)
//   rcustall    a kthread bound to CPU 1 spins with preemption disabled (an RCU CPU stall)
// The sleeping owners sleep interruptibly (state S), so the hung task detector reports the
// waiters (state D), and the dump says who holds what.
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/ftrace.h>
#include <linux/version.h>
#include <linux/jiffies.h>
#include <linux/panic.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <net/net_namespace.h>
#include <net/rtnetlink.h>

static char *mode = "none";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "softlockup | warn | hung | holddev | nullderef | mutex | chain | rwsem | oomleak | rcustall");

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

// --- locks held by a sleeping task, and the tasks they block ----------------------------------
static DEFINE_MUTEX(ktriage_mutex_a);
static DEFINE_MUTEX(ktriage_mutex_b);
static DECLARE_RWSEM(ktriage_rwsem);
static DECLARE_COMPLETION(lock_taken);

// Sleeps forever in this module's code, interruptibly, holding whatever the caller took.
static noinline void ktriage_sleep_holding(const char *what)
{
	pr_info("ktriage_test: %s (pid %d) holds %s and sleeps\n", current->comm, current->pid, what);
	complete(&lock_taken);
	for (;;)
		msleep_interruptible(1000);
}

static int mutex_owner_fn(void *unused)
{
	mutex_lock(&ktriage_mutex_a);
	ktriage_sleep_holding("ktriage_mutex_a");
	return 0;
}

static int mutex_waiter_fn(void *unused)
{
	mutex_lock(&ktriage_mutex_a);
	mutex_unlock(&ktriage_mutex_a);
	return 0;
}

// Holds b, then blocks on a: the middle link of the chain.
static int chain_middle_fn(void *unused)
{
	mutex_lock(&ktriage_mutex_b);
	complete(&lock_taken);
	mutex_lock(&ktriage_mutex_a);
	mutex_unlock(&ktriage_mutex_a);
	mutex_unlock(&ktriage_mutex_b);
	return 0;
}

static int chain_end_fn(void *unused)
{
	mutex_lock(&ktriage_mutex_b);
	mutex_unlock(&ktriage_mutex_b);
	return 0;
}

static int rwsem_writer_fn(void *unused)
{
	down_write(&ktriage_rwsem);
	ktriage_sleep_holding("ktriage_rwsem for write");
	return 0;
}

static int rwsem_reader_fn(void *unused)
{
	down_read(&ktriage_rwsem);
	up_read(&ktriage_rwsem);
	return 0;
}

static int rwsem_second_writer_fn(void *unused)
{
	down_write(&ktriage_rwsem);
	up_write(&ktriage_rwsem);
	return 0;
}

// Starts fn as kthread NAME; when wait_taken, returns once it has taken its lock.
static int start_kthread(int (*fn)(void *), const char *name, bool wait_taken)
{
	struct task_struct *task = kthread_run(fn, NULL, "%s", name);

	if (IS_ERR(task)) {
		pr_err("ktriage_test: kthread %s: %ld\n", name, PTR_ERR(task));
		return PTR_ERR(task);
	}
	if (wait_taken)
		wait_for_completion(&lock_taken);
	return 0;
}

static int start_lock_scenario(void)
{
	int err;

	if (!strcmp(mode, "rwsem")) {
		err = start_kthread(rwsem_writer_fn, "kt_rw_writer", true);
		if (!err)
			err = start_kthread(rwsem_reader_fn, "kt_rw_reader", false);
		if (!err)
			err = start_kthread(rwsem_second_writer_fn, "kt_rw_writer2", false);
		return err;
	}
	err = start_kthread(mutex_owner_fn, "kt_mutex_owner", true);
	if (err)
		return err;
	if (!strcmp(mode, "chain")) {
		err = start_kthread(chain_middle_fn, "kt_chain_mid", true);
		if (!err)
			err = start_kthread(chain_end_fn, "kt_chain_end", false);
		return err;
	}
	err = start_kthread(mutex_waiter_fn, "kt_mutex_wait1", false);
	if (!err)
		err = start_kthread(mutex_waiter_fn, "kt_mutex_wait2", false);
	return err;
}

// --- a leaking slab cache -------------------------------------------------------------------
struct ktriage_leak_object {
	char payload[1000];
};

// A constructor keeps the cache from being merged into a kmalloc cache: the dump then shows the
// memory under the cache's own name.
static void leak_ctor(void *object)
{
	memset(object, 0x6b, sizeof(struct ktriage_leak_object));
}

static int leak_until_oom(void)
{
	struct kmem_cache *cache = kmem_cache_create("ktriage_leak", sizeof(struct ktriage_leak_object),
						     0, 0, leak_ctor);
	unsigned long n = 0;

	if (!cache)
		return -ENOMEM;
	pr_info("ktriage_test: leaking ktriage_leak objects until out of memory\n");
	while (kmem_cache_alloc(cache, GFP_KERNEL))
		n++;
	pr_err("ktriage_test: allocation failed after %lu objects without an OOM panic\n", n);
	return -ENOMEM;
}

// --- an RCU CPU stall -------------------------------------------------------------------------
static noinline int ktriage_rcu_spin(void *unused)
{
	pr_info("ktriage_test: spinning with preemption disabled on CPU %d\n", raw_smp_processor_id());
	preempt_disable();
	for (;;)
		mdelay(10);
	return 0;
}

static int start_rcu_stall(void)
{
	struct task_struct *task = kthread_create(ktriage_rcu_spin, NULL, "kt_rcu_spin");

	if (IS_ERR(task))
		return PTR_ERR(task);
	kthread_bind(task, num_online_cpus() > 1 ? 1 : 0);
	wake_up_process(task);
	return 0;
}

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
	if (!strcmp(mode, "mutex") || !strcmp(mode, "chain") || !strcmp(mode, "rwsem"))
		return start_lock_scenario();
	if (!strcmp(mode, "oomleak"))
		return leak_until_oom();
	if (!strcmp(mode, "rcustall"))
		return start_rcu_stall();
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
