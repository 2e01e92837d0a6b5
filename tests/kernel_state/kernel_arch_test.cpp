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
}

TEST(KernelArch, ArchitecturesNotWalkedSayWhyInOneLine) {
  EXPECT_EQ(WhyNotWalkable("x86_64"), std::nullopt);
  for (const char* arch : {"aarch64", "ppc64", "s390x", ""}) {
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
