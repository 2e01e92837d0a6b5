// Frame lines of every architecture and printing style we parse.
#include "analyzer/report/frame_parser.h"

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
