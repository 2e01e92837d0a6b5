// Frame lines of every architecture and printing style we parse.
#include "analyzer/report/frame_parser.h"
#include "analyzer/report/machinery_frames.h"

#include <gtest/gtest.h>

namespace ktriage {
namespace {

TEST(FrameParser, X86ModernWithModuleAndBuildId) {
  auto f = ParseFrameLine(" ? veth_xmit+0x1f/0x3a0 [veth 0a1b2c3d4e5f]");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->function, "veth_xmit");
  EXPECT_EQ(*f->offset, 0x1fu);
  EXPECT_EQ(*f->size, 0x3a0u);
  EXPECT_EQ(f->module, "veth");
  EXPECT_EQ(f->build_id, "0a1b2c3d4e5f");
  EXPECT_FALSE(f->reliable);
  EXPECT_FALSE(f->is_ip);
}

TEST(FrameParser, RipLineIsTheIp) {
  auto f = ParseFrameLine("RIP: 0010:netdev_pick_tx+0x27c/0x294");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->function, "netdev_pick_tx");
  EXPECT_EQ(*f->offset, 0x27cu);
  EXPECT_TRUE(f->is_ip);
  EXPECT_FALSE(ParseFrameLine("RIP: 0033:0x7f0b2c5e8740"));  // user space: no symbol
}

TEST(FrameParser, OldX86WithAddress) {
  auto f = ParseFrameLine(" [<ffffffffa00c866e>] radeon_bo_init+0x2e/0x90 [radeon]");
  ASSERT_TRUE(f);
  EXPECT_EQ(*f->address, 0xffffffffa00c866eULL);
  EXPECT_EQ(f->module, "radeon");
  EXPECT_TRUE(f->reliable);
  auto q = ParseFrameLine("[<ffffffff810d0e99>] ? request_threaded_irq+0x1c9/0x2e0");
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->reliable);
}

TEST(FrameParser, Arm64PcLrAndTrace) {
  auto pc = ParseFrameLine("pc : __raw_readb+0x8/0x10");
  ASSERT_TRUE(pc);
  EXPECT_TRUE(pc->is_ip);
  auto lr = ParseFrameLine("lr : ns558_init+0x1c4/0x300");
  ASSERT_TRUE(lr);
  EXPECT_FALSE(lr->is_ip);
  auto t = ParseFrameLine(" el0_svc_naked+0x34/0x38");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->function, "el0_svc_naked");
}

TEST(FrameParser, Ppc64AndS390) {
  auto p = ParseFrameLine("[c0000001f2a0b8f0] [c0000000000141a8] show_stack+0x78/0x1d0 (unreliable)");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->function, "show_stack");
  EXPECT_FALSE(p->reliable);
  EXPECT_EQ(*p->address, 0xc0000001f2a0b8f0ULL);
  auto s = ParseFrameLine(" ([<000000000011bd3c>] dump_stack+0x84/0xb0)");
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->reliable);
  EXPECT_EQ(s->function, "dump_stack");
}

TEST(FrameParser, FtraceStackAndSymbolized) {
  auto f = ParseFrameLine(" => tcp_write_timer");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->function, "tcp_write_timer");
  EXPECT_FALSE(f->offset);
  auto s = ParseFrameLine(" __dump_stack lib/dump_stack.c:77 [inline]");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->function, "__dump_stack");
  EXPECT_EQ(s->source, "lib/dump_stack.c:77");
  EXPECT_TRUE(s->printed_inline);
  auto d = ParseFrameLine(" dump_stack+0x1b2/0x281 lib/dump_stack.c:113");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->source, "lib/dump_stack.c:113");
  EXPECT_FALSE(d->printed_inline);
}

TEST(FrameParser, Arm32FramesWithTheirCallers) {
  // 3.x-5.x: addresses, the frame by name only, its caller with the return address.
  auto a = ParseFrameLine("[<c0014318>] (dump_backtrace_log_lvl) from [<c001457c>] (show_stack+0x24/0x2c)");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->function, "dump_backtrace_log_lvl");
  EXPECT_FALSE(a->offset);
  EXPECT_EQ(a->address, 0xc0014318u);
  ASSERT_TRUE(a->caller);
  EXPECT_EQ(a->caller->function, "show_stack");
  EXPECT_EQ(a->caller->offset, 0x24u);
  EXPECT_EQ(a->caller->size, 0x2cu);
  EXPECT_EQ(a->caller->address, 0xc001457cu);
  // 2.6/3.x: both with offsets.
  auto b = ParseFrameLine("[<c0014fcc>] (unwind_backtrace+0x0/0x120) from [<c00ca600>] (validate_chain+0x6f8/0x1054)");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->function, "unwind_backtrace");
  EXPECT_EQ(b->offset, 0u);
  EXPECT_EQ(b->caller->function, "validate_chain");
  EXPECT_EQ(b->caller->offset, 0x6f8u);
  // No addresses, and 5.15+'s form without parentheses; module symbols.
  auto c = ParseFrameLine("(dump_backtrace) from (show_stack+0x24/0x2c)");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->function, "dump_backtrace");
  EXPECT_EQ(c->caller->function, "show_stack");
  auto d = ParseFrameLine(" unwind_backtrace from show_stack+0x10/0x14");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->function, "unwind_backtrace");
  EXPECT_EQ(d->caller->offset, 0x10u);
  auto m = ParseFrameLine("[<bf00a0b4>] (foo_read [foo]) from [<c01a2b3c>] (vfs_read+0x9c/0x170)");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->module, "foo");
  EXPECT_FALSE(ParseFrameLine("received a packet from eth0+0x1/0x2 port"));
  EXPECT_FALSE(ParseFrameLine("Function entered at [<c0025fd8>] from [<c0026f34>]"));
  EXPECT_FALSE(ParseFrameLine(" r7:df912310 r6:df912140 r5:c081745c r4:00000000"));
}

TEST(FrameParser, OldModuleNotation) {
  auto f = ParseFrameLine(" [<ffffffff8804c2b6>] :ext3:ext3_journal_start_sb+0x4a/0x5b");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->function, "ext3_journal_start_sb");
  EXPECT_EQ(f->module, "ext3");
  EXPECT_EQ(f->offset, 0x4au);
}

TEST(FrameParser, PowerPcDotSymbolsAndInterrupts) {
  auto f = ParseFrameLine("[c0000000ef8bbaf0] [c000000000015cb0] .show_stack+0x78/0x1d0 (unreliable)");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->function, "show_stack");
  EXPECT_FALSE(f->reliable);
  auto i = ParseFrameLine("--- interrupt: 901 at .arch_local_irq_restore+0x7c/0x90");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->function, "arch_local_irq_restore");
  EXPECT_EQ(i->offset, 0x7cu);
}

TEST(FrameParser, TracingToolStacks) {
  // A trampoline in an ftrace stack, trace-cmd's addresses.
  auto t = ParseFrameLine(" => 0xffffffffc0a1e0c9");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->function.empty());
  EXPECT_EQ(t->address, 0xffffffffc0a1e0c9u);
  auto tc = ParseFrameLine("=> sk_free (ffffffff9a3c1a40)");
  ASSERT_TRUE(tc);
  EXPECT_EQ(tc->function, "sk_free");
  EXPECT_EQ(tc->address, 0xffffffff9a3c1a40u);
  for (const char* line : {"=> 7fffffff", "=> ffffffffc0216083"}) {
    auto bare = ParseFrameLine(line);
    ASSERT_TRUE(bare) << line;
    EXPECT_TRUE(bare->function.empty()) << line;
    EXPECT_TRUE(bare->address) << line;
  }
  // No address: the kernel's words are the frame's name, and it is machinery.
  auto tramp = ParseFrameLine("=> [FTRACE TRAMPOLINE]");
  ASSERT_TRUE(tramp);
  EXPECT_EQ(tramp->function, "[FTRACE TRAMPOLINE]");
  EXPECT_FALSE(tramp->address);
  EXPECT_TRUE(IsMachineryFrame(tramp->function));
  auto k = ParseFrameLine(" => __put_net+0x4/0xa0");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->offset, 4u);
  // perf script callchains.
  auto p = ParseFrameLine("\tffffffff81a2b3c4 __put_net+0x4 ([kernel.kallsyms])");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->function, "__put_net");
  EXPECT_EQ(p->offset, 4u);
  EXPECT_EQ(p->address, 0xffffffff81a2b3c4u);
  EXPECT_TRUE(p->module.empty());
  auto pm = ParseFrameLine("        ffffffffc0123456 veth_xmit+0x10 ([veth])");
  ASSERT_TRUE(pm);
  EXPECT_EQ(pm->module, "veth");
  auto pu = ParseFrameLine("        ffffffffc0a1e0c9 [unknown] ([unknown])");
  ASSERT_TRUE(pu);
  EXPECT_TRUE(pu->function.empty());
  // bpftrace kstack: decimal offsets.
  auto b = ParseFrameLine("        __put_net+4");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->function, "__put_net");
  EXPECT_EQ(b->offset, 4u);
  EXPECT_FALSE(ParseFrameLine("x+1 is a sum"));
  EXPECT_FALSE(ParseFrameLine("deadbeef cafe"));
  // x86 prints an address it cannot name.
  auto x = ParseFrameLine(" ? 0xffffffffc0201000");
  ASSERT_TRUE(x);
  EXPECT_FALSE(x->reliable);
}

TEST(FrameParser, RejectsSentences) {
  EXPECT_FALSE(ParseFrameLine("Modules linked in: veth openvswitch"));
  EXPECT_FALSE(ParseFrameLine("Code: 48 89 e5 41 57"));
  EXPECT_FALSE(ParseFrameLine("device eth0 entered promiscuous mode"));
  EXPECT_FALSE(ParseFrameLine("foo+0x1/0x2 is where it happened"));
  EXPECT_FALSE(ParseFrameLine(""));
  EXPECT_FALSE(ParseFrameLine("[<ffffffff"));
}

TEST(FrameParser, ContextMarkers) {
  EXPECT_EQ(ParseContextMarker(" <IRQ>"), FrameContext::kIrq);
  EXPECT_EQ(ParseContextMarker(" </IRQ>"), FrameContext::kTask);
  EXPECT_EQ(ParseContextMarker(" <NMI>"), FrameContext::kNmi);
  EXPECT_EQ(ParseContextMarker(" <TASK>"), FrameContext::kTask);
  EXPECT_EQ(ParseContextMarker(" <#DF>"), FrameContext::kException);
  EXPECT_EQ(ParseContextMarker(" <SOFTIRQ>"), FrameContext::kSoftirq);
  EXPECT_EQ(ParseContextMarker(" <EOI>"), FrameContext::kTask);
  EXPECT_FALSE(ParseContextMarker("<foo>"));
}

}  // namespace
}  // namespace ktriage
