// VmcoreInfo::Parse on note text shaped like the 6.1.0-50-cloud-amd64 dumps' VMCOREINFO, and on
// malformed and foreign input.
#include "analyzer/vmcore/vmcoreinfo.h"

#include <gtest/gtest.h>

#include <string>

namespace ktriage {
namespace {

// Lines as the kernel writes them (from a KASLR dump of Debian's 6.1.0-50-cloud-amd64).
constexpr std::string_view kNote =
    "OSRELEASE=6.1.0-50-cloud-amd64\n"
    "BUILD-ID=bb603a9147d3efe4744bf83c83eee397c591cc20\n"
    "PAGESIZE=4096\n"
    "SYMBOL(init_uts_ns)=ffffffffb05f9b60\n"
    "OFFSET(uts_namespace.name)=0\n"
    "SYMBOL(mem_section)=ffff8def4fe3a000\n"
    "LENGTH(mem_section)=2048\n"
    "SIZE(mem_section)=16\n"
    "SYMBOL(prb)=ffffffffb0462540\n"
    "SIZE(printk_ringbuffer)=88\n"
    "OFFSET(printk_ringbuffer.text_data_ring)=48\n"
    "OFFSET(prb_desc_ring.count_bits)=0\n"
    "LENGTH(printk_info_subsystem)=16\n"
    "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
    "SYMBOL(kallsyms_names)=ffffffffafb74d18\n"
    "NUMBER(phys_base)=-668991488\n"
    "NUMBER(pgtable_l5_enabled)=0\n"
    "KERNELOFFSET=2da00000\n"
    "NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n"
    "CRASHTIME=1795320000\n";

TEST(VmcoreInfoTest, ParsesEveryKindOfLine) {
  Result<VmcoreInfo> info = VmcoreInfo::Parse(kNote);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->osrelease, "6.1.0-50-cloud-amd64");
  EXPECT_EQ(info->build_id, "bb603a9147d3efe4744bf83c83eee397c591cc20");
  EXPECT_EQ(info->page_size, 4096u);
  EXPECT_EQ(info->kernel_offset, 0x2da00000);
  EXPECT_EQ(info->crash_time, 1795320000);
  EXPECT_EQ(info->Symbol("prb"), 0xffffffffb0462540u);
  EXPECT_EQ(info->Symbol("mem_section"), 0xffff8def4fe3a000u);
  EXPECT_EQ(info->Size("printk_ringbuffer"), 88u);
  EXPECT_EQ(info->Offset("printk_ringbuffer.text_data_ring"), 48u);
  EXPECT_EQ(info->Offset("prb_desc_ring.count_bits"), 0u);
  EXPECT_EQ(info->Length("mem_section"), 2048u);
  EXPECT_EQ(info->Number("phys_base"), -668991488);
  EXPECT_EQ(info->Number("PAGE_BUDDY_MAPCOUNT_VALUE"), -129);
  EXPECT_EQ(info->Number("KERNEL_IMAGE_SIZE"), 1073741824);
  EXPECT_EQ(info->text, kNote);
  // Kinds are separate namespaces: SIZE(mem_section) is not SYMBOL(mem_section).
  EXPECT_EQ(info->Size("mem_section"), 16u);
  EXPECT_FALSE(info->Symbol("printk_ringbuffer").has_value());
  EXPECT_FALSE(info->Offset("prb").has_value());
  EXPECT_FALSE(info->Number("nothing").has_value());
}

TEST(VmcoreInfoTest, KernelOffsetZeroWithoutKaslrIsPresent) {
  Result<VmcoreInfo> info = VmcoreInfo::Parse("OSRELEASE=6.1.0\nKERNELOFFSET=0\n");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->kernel_offset, 0);
  EXPECT_FALSE(info->crash_time.has_value());
}

TEST(VmcoreInfoTest, MalformedLinesAreSkippedNotFatal) {
  const std::string note =
      "OSRELEASE=5.10.0-9-amd64\n"
      "SYMBOL(prb=ffffffff82a62540\n"          // unbalanced
      "SYMBOL()=ffffffff82a62540\n"            // no name
      "SYMBOL(a(b))=ffffffff82a62540\n"        // nested parentheses
      "SYMBOL(bad_hex)=ffffffffxyz\n"
      "SYMBOL(too_long)=1ffffffffffffffff\n"   // 17 hex digits: overflow
      "SIZE(bad)=12abc\n"
      "SIZE(negative)=-3\n"                    // SIZE is unsigned
      "OFFSET(empty)=\n"
      "NUMBER(overflow)=99999999999999999999\n"
      "NUMBER(min)=-9223372036854775808\n"
      "NUMBER(below_min)=-9223372036854775809\n"
      "NUMBER(KERNELPACMASK)=0xffff000000000000\n"  // arm64 prints some NUMBERs as 0x%llx
      "NUMBER(TCR_EL1_T1SZ)=0x10\n"
      "NUMBER(hex_overflow)=0x1ffffffffffffffff\n"
      "NUMBER(hex_empty)=0x\n"
      "PAGESIZE=lots\n"
      "just some garbage\n"
      "=5\n"
      "CONFIG_KALLSYMS=y\n"
      "SYMBOL(good)=ffffffff81000000\r\n"      // a stray CR is tolerated
      "SYMBOL(good)=1234\n"                    // the first definition wins
      "SIZE(good)=24";                         // no final newline
  Result<VmcoreInfo> info = VmcoreInfo::Parse(note);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->osrelease, "5.10.0-9-amd64");
  EXPECT_EQ(info->page_size, 0u);
  EXPECT_EQ(info->symbols.size(), 1u);
  EXPECT_EQ(info->Symbol("good"), 0xffffffff81000000u);
  EXPECT_EQ(info->Size("good"), 24u);
  EXPECT_FALSE(info->Size("bad").has_value());
  EXPECT_FALSE(info->Size("negative").has_value());
  EXPECT_FALSE(info->Offset("empty").has_value());
  EXPECT_FALSE(info->Number("overflow").has_value());
  EXPECT_EQ(info->Number("min"), INT64_MIN);
  EXPECT_FALSE(info->Number("below_min").has_value());
  EXPECT_EQ(static_cast<uint64_t>(*info->Number("KERNELPACMASK")), 0xffff000000000000u);
  EXPECT_EQ(info->Number("TCR_EL1_T1SZ"), 16);
  EXPECT_FALSE(info->Number("hex_overflow").has_value());
  EXPECT_FALSE(info->Number("hex_empty").has_value());
}

TEST(VmcoreInfoTest, NulPaddingOfTheNoteIsDropped) {
  std::string note = "OSRELEASE=6.1.0\nSYMBOL(prb)=ffffffff82a62540\n";
  note.append(3, '\0');
  Result<VmcoreInfo> info = VmcoreInfo::Parse(note);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->text, "OSRELEASE=6.1.0\nSYMBOL(prb)=ffffffff82a62540\n");
  EXPECT_EQ(info->Symbol("prb"), 0xffffffff82a62540u);
}

TEST(VmcoreInfoTest, SymbolsAloneAreEnough) {
  Result<VmcoreInfo> info = VmcoreInfo::Parse("SYMBOL(log_buf)=ffffffff81e5c3a0\n");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->osrelease.empty());
}

TEST(VmcoreInfoTest, EmptyOrForeignTextIsAnError) {
  for (std::string_view text : {std::string_view(""), std::string_view("\n\n"), std::string_view("\0\0\0\0", 4),
                                std::string_view("hello world\nfoo=bar\n"), std::string_view("\x7f" "ELF\x02\x01\x01", 7),
                                std::string_view("SIZE(page)=64\nOFFSET(page.flags)=0\n")}) {
    Result<VmcoreInfo> info = VmcoreInfo::Parse(text);
    ASSERT_FALSE(info.ok()) << "accepted: " << text;
    EXPECT_NE(info.error().message.find("VMCOREINFO"), std::string::npos) << info.error().message;
  }
}

}  // namespace
}  // namespace ktriage
