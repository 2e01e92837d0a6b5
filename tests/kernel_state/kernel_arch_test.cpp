// KernelArch: the one table of per-architecture facts, and the reason the walks give for an
// architecture they cannot walk yet.
#include <gtest/gtest.h>

#include "analyzer/kernel_state/stack_unwinder.h"

namespace ktriage::kernel {
namespace {

TEST(KernelArch, X86_64RegistersByDwarfNumber) {
  const KernelArch* a = FindKernelArch("x86_64");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(FindKernelArch("amd64"), a);
  EXPECT_EQ(a->registers[a->pc].dump_name, "rip");
  EXPECT_EQ(a->registers[a->pc].pt_regs_member, "ip");
  EXPECT_EQ(a->registers[a->sp].dump_name, "rsp");
  EXPECT_EQ(a->registers[a->fp].pt_regs_member, "bp");
  EXPECT_EQ(a->registers[3].dump_name, "rbx");  // psABI order: rax rdx rcx rbx
  EXPECT_TRUE(a->orc);
  const DwarfRegisters regs = RegistersFromNames(*a, {{"rip", 0xffffffff81000000}, {"rsp", 0x1000}, {"r12", 12}, {"xyz", 1}});
  EXPECT_EQ(regs[a->pc], std::optional<uint64_t>(0xffffffff81000000));
  EXPECT_EQ(regs[a->sp], std::optional<uint64_t>(0x1000));
  EXPECT_EQ(regs[12], std::optional<uint64_t>(12));
  EXPECT_FALSE(regs[0].has_value());
}

TEST(KernelArch, Aarch64IsDescribed) {
  const KernelArch* a = FindKernelArch("aarch64");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(FindKernelArch("arm64"), a);
  EXPECT_EQ(a->registers[a->fp].dump_name, "x29");
  EXPECT_EQ(a->registers[a->sp].dump_name, "sp");
  EXPECT_EQ(a->registers[a->pc].dump_name, "pc");
  EXPECT_FALSE(a->orc);
  EXPECT_EQ(a->stack_walk, KernelArch::StackWalk::kFrameRecords);
  EXPECT_EQ(a->link_register, std::optional<unsigned>(30));
  EXPECT_EQ(a->registers.size(), 33u);
  const DwarfRegisters regs = RegistersFromNames(*a, {{"pc", 0xffff800008010000}, {"x30", 30}, {"sp", 0x2000}});
  EXPECT_EQ(regs[a->pc], std::optional<uint64_t>(0xffff800008010000));
  EXPECT_EQ(regs[30], std::optional<uint64_t>(30));
  EXPECT_EQ(regs[a->sp], std::optional<uint64_t>(0x2000));
}

TEST(KernelArch, Arm64ExceptionEntryStubsNotTheirHandlers) {
  const KernelArch* a = FindKernelArch("aarch64");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(a->is_exception_entry, nullptr);
  for (const char* stub : {"el1h_64_irq", "el1h_64_sync", "el0t_64_sync", "el0t_32_irq", "el1t_64_error", "el1_irq",
                           "el0_sync", "el0_irq_compat", "el1h_64_fiq"}) {
    EXPECT_TRUE(a->is_exception_entry(stub)) << stub;
  }
  for (const char* other : {"el1h_64_irq_handler", "el0t_64_sync_handler", "el0_svc", "el1_interrupt", "el1_abort",
                            "call_on_irq_stack", "ret_from_fork", "elf_core_dump", ""}) {
    EXPECT_FALSE(a->is_exception_entry(other)) << other;
  }
  EXPECT_EQ(FindKernelArch("x86_64")->is_exception_entry, nullptr);
}

TEST(KernelArch, PointerAuthBitsStripped) {
  const uint64_t mask = 0xffff000000000000;  // NUMBER(KERNELPACMASK) of Debian's 6.1 arm64 with 48-bit VA
  EXPECT_EQ(StripPointerAuth(0x3a8fc4e73da26a58, mask), 0xffffc4e73da26a58u);  // signed kernel address
  EXPECT_EQ(StripPointerAuth(0xffffc4e73da26a58, mask), 0xffffc4e73da26a58u);  // unsigned: unchanged
  EXPECT_EQ(StripPointerAuth(0x0012000000400000, mask), 0x0000000000400000u);  // user half: bits cleared
  EXPECT_EQ(StripPointerAuth(0x3a8fc4e73da26a58, 0), 0x3a8fc4e73da26a58u);     // no mask: as it is
}

TEST(KernelArch, ArchitecturesNotWalkedSayWhyInOneLine) {
  EXPECT_EQ(WhyNotWalkable("x86_64"), std::nullopt);
  EXPECT_EQ(WhyNotWalkable("aarch64"), std::nullopt);
  for (const char* arch : {"ppc64", "s390x", ""}) {
    std::optional<std::string> why = WhyNotWalkable(arch);
    ASSERT_TRUE(why) << arch;
    EXPECT_EQ(why->find('\n'), std::string::npos);
    EXPECT_NE(why->find("the log, kallsyms and reports are"), std::string::npos) << *why;
    if (*arch != '\0') {
      EXPECT_NE(why->find(arch), std::string::npos) << *why;
    }
  }
  EXPECT_EQ(FindKernelArch("ppc64"), nullptr);
}

}  // namespace
}  // namespace ktriage::kernel
