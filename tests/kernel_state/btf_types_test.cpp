// The kernel's own BTF read from the real dumps of every walkable family: every struct and member
// the analyses ask for has one layout in BTF and in the vmlinux's DWARF, and the task lists read
// with each are equal; a damaged blob (truncated, a bad header, a type id out of range), a module's
// BTF put on another kernel's, and BTF pages missing from the dump are refused with the reason.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <filesystem>
#include <set>

#include "analyzer/kernel_state/btf_types.h"
#include "analyzer/kernel_analyses/deep_analysis.h"
#include "analyzer/kernel_state/dump_btf.h"
#include "analyzer/kernel_state/kernel_state.h"
#include "base/text.h"
#include "tests/symbols/debuginfo_cache.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage::kernel {
namespace {

bool Walkable(const testing::KernelFamily& f) { return !WhyNotWalkable(f.arch).has_value(); }

struct Case {
  std::string scenario;
  std::string file;
  std::string family;
};

KernelSources Sources(const std::string& vmlinux, TypeSourceChoice types) {
  KernelSources s;
  s.vmlinux = vmlinux;
  s.types = types;
  return s;
}

class DumpBtf : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    const testing::KernelFamily family = testing::FindFamily(GetParam().family);
    auto dumps = testing::DumpCacheDir(family);
    auto debuginfo = testing::DebuginfoCacheDir(family);
    if (!dumps || !debuginfo) GTEST_SKIP() << family.name << " needs `make dumps` and `make debuginfo`";
    vmlinux_ = testing::DebuginfoVmlinux(*debuginfo).string();
    auto dump = DumpFile::Open({(*dumps / GetParam().scenario / GetParam().file).string()});
    ASSERT_TRUE(dump.ok()) << dump.error().message;
    dump_ = std::move(*dump);
  }
  std::string vmlinux_;
  std::unique_ptr<DumpFile> dump_;
};

// Every (struct, member) the deep analyses asked the DWARF for, asked of the BTF: the same answer,
// or an error on both (the probes for members one kernel renamed).
TEST_P(DumpBtf, EveryLayoutTheAnalysesUseIsTheSameAsInDwarf) {
  auto dwarf = KernelState::Open(*dump_, Sources(vmlinux_, TypeSourceChoice::kDwarf));
  ASSERT_TRUE(dwarf.ok()) << dwarf.error().message;
  auto btf = KernelState::Open(*dump_, Sources(vmlinux_, TypeSourceChoice::kBtf));
  ASSERT_TRUE(btf.ok()) << btf.error().message;
  ASSERT_EQ((*dwarf)->type_source().rfind("DWARF of ", 0), 0u);
  ASSERT_EQ((*btf)->type_source().rfind("BTF of the dump", 0), 0u);
  DeepOptions all;
  all.all_tasks = true;
  const DeepAnalysis with_dwarf = RunDeepAnalysis(**dwarf, *dump_, all);
  const DeepAnalysis with_btf = RunDeepAnalysis(**btf, *dump_, all);
  size_t sizes = 0, members = 0, absent = 0;
  for (const auto& [type, member] : (*dwarf)->types().Asked()) {
    SCOPED_TRACE(type + "." + member);
    if (member.empty()) {
      Result<uint64_t> d = (*dwarf)->types().SizeOf(type), b = (*btf)->types().SizeOf(type);
      ASSERT_EQ(d.ok(), b.ok()) << (d.ok() ? b.error().message : d.error().message);
      if (d.ok()) {
        EXPECT_EQ(*d, *b);
      }
      ++sizes;
      continue;
    }
    Result<MemberLayout> d = (*dwarf)->types().Member(type, member), b = (*btf)->types().Member(type, member);
    ASSERT_EQ(d.ok(), b.ok()) << (d.ok() ? b.error().message : d.error().message);
    if (!d.ok()) {
      ++absent;
      continue;
    }
    EXPECT_EQ(d->offset, b->offset);
    EXPECT_EQ(d->size, b->size);
    EXPECT_EQ(d->bit_offset, b->bit_offset);
    EXPECT_EQ(d->bit_size, b->bit_size);
    ++members;
  }
  // The enumerators the memory counters are indexed by: the same values in both.
  size_t enumerators = 0;
  for (const auto& [type, name] : (*dwarf)->types().AskedEnumerators()) {
    SCOPED_TRACE(type + "::" + name);
    Result<int64_t> d = (*dwarf)->types().EnumValue(type, name), b = (*btf)->types().EnumValue(type, name);
    ASSERT_EQ(d.ok(), b.ok()) << (d.ok() ? b.error().message : d.error().message);
    if (d.ok()) {
      EXPECT_EQ(*d, *b);
      ++enumerators;
    }
  }
  EXPECT_GE(enumerators, 6u);  // NR_FREE_PAGES, NR_FILE_PAGES, NR_ANON_MAPPED, NR_SHMEM, the slab counters...
  // Layouts the walks do not read yet but that are easy to get wrong: bitfields inside anonymous
  // structs (sk_buff's header group), a bitfield after a union, nested members.
  for (const auto& [type, member] : std::vector<std::pair<std::string, std::string>>{
           {"sk_buff", "pkt_type"}, {"sk_buff", "ip_summed"}, {"sk_buff", "cloned"}, {"sk_buff", "len"},
           {"sock", "sk_gso_disabled"}, {"sock", "sk_userlocks"}, {"task_struct", "sched_reset_on_fork"},
           {"task_struct", "se.vruntime"}, {"net_device", "reg_state"}}) {
    SCOPED_TRACE(type + "." + member);
    Result<MemberLayout> d = (*dwarf)->types().Member(type, member), b = (*btf)->types().Member(type, member);
    ASSERT_EQ(d.ok(), b.ok()) << (d.ok() ? b.error().message : d.error().message);
    if (!d.ok()) continue;
    EXPECT_EQ(d->offset, b->offset);
    EXPECT_EQ(d->bit_offset, b->bit_offset);
    EXPECT_EQ(d->bit_size, b->bit_size);
    EXPECT_EQ(d->size, b->size);
  }
  std::printf("%s: %zu struct sizes and %zu members the analyses read agree in BTF and DWARF (%zu absent from both)\n",
              GetParam().family.c_str(), sizes, members, absent);
  EXPECT_GE(sizes, 8u);
  EXPECT_GT(members, 60u);
  // Read with either, the same tasks.
  ASSERT_GT(with_dwarf.tasks.size(), 40u);
  ASSERT_EQ(with_dwarf.tasks.size(), with_btf.tasks.size());
  for (size_t i = 0; i < with_dwarf.tasks.size(); ++i) {
    const TaskInfo &d = *with_dwarf.tasks[i].task, &b = *with_btf.tasks[i].task;
    EXPECT_EQ(d.address, b.address);
    EXPECT_EQ(d.pid, b.pid);
    EXPECT_EQ(d.comm, b.comm);
    EXPECT_EQ(d.state, b.state);
    EXPECT_EQ(d.saved_sp, b.saved_sp);
    EXPECT_EQ(with_dwarf.tasks[i].frames.size(), with_btf.tasks[i].frames.size()) << d.comm;
  }
  ASSERT_TRUE(with_btf.net.has_value());
  EXPECT_EQ(with_dwarf.pinned_namespaces, with_btf.pinned_namespaces);
  // The kernel state reads the same through either: tasks, memory, slab caches, answers.
  EXPECT_EQ(with_dwarf.task_table.size(), with_btf.task_table.size());
  ASSERT_TRUE(with_dwarf.memory && with_btf.memory);
  EXPECT_EQ(with_dwarf.memory->counters.free, with_btf.memory->counters.free);
  EXPECT_EQ(with_dwarf.memory->counters.slab_unreclaimable, with_btf.memory->counters.slab_unreclaimable);
  ASSERT_TRUE(with_dwarf.slab && with_btf.slab);
  EXPECT_EQ(with_dwarf.slab->count, with_btf.slab->count);
  EXPECT_GT(with_btf.slab->count, 50u);
  ASSERT_TRUE(with_dwarf.run_queues && with_btf.run_queues);
  for (size_t i = 0; i < with_btf.run_queues->cpus.size(); ++i) {
    EXPECT_EQ(with_dwarf.run_queues->cpus[i].curr, with_btf.run_queues->cpus[i].curr);
    EXPECT_EQ(with_dwarf.run_queues->cpus[i].preempt_count, with_btf.run_queues->cpus[i].preempt_count);
  }
  ASSERT_EQ(with_dwarf.findings.size(), with_btf.findings.size());
  for (size_t i = 0; i < with_btf.findings.size(); ++i) EXPECT_EQ(with_dwarf.findings[i].text, with_btf.findings[i].text);
  EXPECT_EQ(with_btf.pinned_namespaces.size(), 1u);
}

// Read from each module's notes in the dump: the build-id of the module's own debuginfo (the -dbg
// package's veth.ko), which the symbolizer and debuginfod then find it by.
TEST_P(DumpBtf, ModuleBuildIdsAreTheirDebuginfos) {
  auto state = KernelState::Open(*dump_, Sources(vmlinux_, TypeSourceChoice::kAuto));
  ASSERT_TRUE(state.ok()) << state.error().message;
  auto debuginfo = testing::DebuginfoCacheDir(testing::FindFamily(GetParam().family));
  std::optional<testing::BuildIdFile> veth = testing::DebuginfoModule(*debuginfo, "veth");
  ASSERT_TRUE(veth.has_value());
  size_t with_id = 0;
  bool matched = false;
  for (const LoadedModule& m : (*state)->modules().modules) {
    with_id += m.build_id.size() == 40;
    if (m.name == "veth") matched = m.build_id == veth->build_id;
  }
  EXPECT_TRUE(matched) << "veth's debuginfo is " << veth->build_id;
  EXPECT_EQ(with_id, (*state)->modules().modules.size());
}

// The dump's memory with the pages of one range taken out, as makedumpfile's dump level may.
class WithoutRange : public MemoryReader {
 public:
  WithoutRange(MemoryReader& whole, uint64_t start, uint64_t end) : whole_(whole), start_(start), end_(end) {}
  Status ReadVirtual(uint64_t address, void* buffer, size_t size) override {
    if (address < end_ && address + size > start_) return Error{"address " + HexString(address) + " is not in the dump"};
    return whole_.ReadVirtual(address, buffer, size);
  }

 private:
  MemoryReader& whole_;
  uint64_t start_, end_;
};

TEST_P(DumpBtf, BtfPagesMissingFromTheDumpAreSaidAndDwarfServes) {
  auto with_vmlinux = KernelState::Open(*dump_, Sources(vmlinux_, TypeSourceChoice::kBtf));
  ASSERT_TRUE(with_vmlinux.ok()) << with_vmlinux.error().message;
  const KernelContext& k = (*with_vmlinux)->context();
  Result<uint64_t> start = k.Symbol("__start_BTF"), stop = k.Symbol("__stop_BTF");
  ASSERT_TRUE(start.ok() && stop.ok());
  // A page in the middle of the BTF.
  const uint64_t hole = (*start + (*stop - *start) / 2) & ~uint64_t{4095};
  WithoutRange holey(*dump_, hole, hole + 4096);
  auto refused = KernelState::Open(*dump_, holey, Sources("", TypeSourceChoice::kAuto));
  if (!refused.ok()) {
    // Or, where kallsyms has no variables at all, that reason first.
    const std::string& why = refused.error().message;
    EXPECT_TRUE(why.find("cannot be read from the dump") != std::string::npos ||
                why.find("without CONFIG_KALLSYMS_ALL") != std::string::npos) << why;
  } else {
    ADD_FAILURE() << "opened without types";
  }
  auto dwarf = KernelState::Open(*dump_, holey, Sources(vmlinux_, TypeSourceChoice::kAuto));
  ASSERT_TRUE(dwarf.ok()) << dwarf.error().message;
  EXPECT_EQ((*dwarf)->type_source().rfind("DWARF of ", 0), 0u);
  ASSERT_FALSE((*dwarf)->notes().empty());
  EXPECT_NE((*dwarf)->notes().front().find("the dump's BTF is not used"), std::string::npos) << (*dwarf)->notes().front();
  EXPECT_GT((*dwarf)->Tasks().tasks.size(), 40u);
  // kallsyms is read from other pages: the CPUs' PCs are still named.
  Result<std::unique_ptr<DumpKallsyms>> kallsyms = DumpKallsyms::Load(holey, dump_->vmcoreinfo());
  ASSERT_TRUE(kallsyms.ok()) << kallsyms.error().message;
  ASSERT_FALSE(dump_->facts().cpus.empty());
  size_t named = 0;
  for (const CpuState& cpu : dump_->facts().cpus) {
    for (const auto& [name, value] : cpu.registers) {
      if (name == "pc" || name == "rip") named += (*kallsyms)->Lookup(value).has_value();
    }
  }
  EXPECT_EQ(named, dump_->facts().cpus.size());
}

INSTANTIATE_TEST_SUITE_P(Dumps, DumpBtf,
                         ::testing::ValuesIn(testing::ForEachFamily<Case>({{"netns-tcp-pinned-kaslr", "vmcore.kdump-zlib", ""}},
                                                                          Walkable)),
                         [](const ::testing::TestParamInfo<Case>& info) { return testing::ParamName(info.param.family); });

// The kernel's blob of `scenario`'s dump, and veth's module BTF when `veth`; an error says why not.
Result<BtfBlob> KernelBlobOf(const std::string& family_name, const std::string& scenario,
                             std::vector<unsigned char>* veth) {
  const testing::KernelFamily family = testing::FindFamily(family_name);
  auto dumps = testing::DumpCacheDir(family);
  if (!dumps) return Error{family.name + " needs `make dumps`"};
  auto dump = DumpFile::Open({(*dumps / scenario / "vmcore.kdump-zlib").string()});
  if (!dump.ok()) return dump.error();
  auto state = KernelState::Open(**dump, Sources("", TypeSourceChoice::kBtf));
  if (!state.ok()) return state.error();
  const KernelContext& k = (*state)->context();
  Result<BtfBlob> blob = ReadKernelBtfBlob(k.memory, k.symbols, k.arch, k.kernel_offset);
  if (!blob.ok()) return blob.error();
  if (veth != nullptr) {
    std::vector<std::string> problems;
    for (ModuleBtf& m : ReadModuleBtfBlobs(k, (*state)->modules(), problems)) {
      if (m.module == "veth") *veth = std::move(m.blob.bytes);
    }
    if (veth->empty()) return Error{"no BTF of module veth in " + scenario};
  }
  return std::move(*blob);
}

// A real BTF blob and a real module's, read once from the 6.12 x86-64 soft-lockup dump (veth is
// loaded there), and the reference family's kernel blob, for the damage tests.
struct RealBlobs {
  BtfBlob kernel;
  std::vector<unsigned char> veth;
  BtfBlob other_kernel;
  std::string missing;  // why they could not be read
};

const RealBlobs& Blobs() {
  static const RealBlobs blobs = [] {
    RealBlobs b;
    Result<BtfBlob> kernel = KernelBlobOf("6.12-amd64", "veth-softlockup-kaslr", &b.veth);
    Result<BtfBlob> other = KernelBlobOf(testing::ReferenceFamily().name, "sysrq-kaslr", nullptr);
    if (!kernel.ok() || !other.ok()) {
      b.missing = (!kernel.ok() ? kernel : other).error().message;
      return b;
    }
    b.kernel = std::move(*kernel);
    b.other_kernel = std::move(*other);
    return b;
  }();
  return blobs;
}

uint32_t Get32(const std::vector<unsigned char>& b, size_t at) {
  uint32_t v;
  std::memcpy(&v, &b[at], 4);
  return v;
}
void Put32(std::vector<unsigned char>& b, size_t at, uint32_t v) { std::memcpy(&b[at], &v, 4); }

TEST(BtfChecks, ARealBlobParsesAndItsModulesGoOnTopOfIt) {
  const RealBlobs* b = &Blobs();
  if (!b->missing.empty()) GTEST_SKIP() << b->missing;
  auto types = BtfTypes::Parse(b->kernel.bytes, "the test's blob");
  ASSERT_TRUE(types.ok()) << types.error().message;
  EXPECT_GT((*types)->type_count(), 50000u);
  EXPECT_FALSE((*types)->SizeOf("veth_priv").ok());  // veth's own type: in its module's BTF
  ASSERT_TRUE((*types)->AddModule("veth", b->veth).ok());
  Result<uint64_t> priv = (*types)->SizeOf("veth_priv");
  ASSERT_TRUE(priv.ok()) << priv.error().message;
  EXPECT_GT(*priv, 0u);
  EXPECT_TRUE((*types)->Has("veth_priv", "peer"));
}

TEST(BtfChecks, AModulesBtfOnAnotherKernelsIsRefused) {
  const RealBlobs* b = &Blobs();
  if (!b->missing.empty()) GTEST_SKIP() << b->missing;
  auto other = BtfTypes::Parse(b->other_kernel.bytes, "6.1's blob");
  ASSERT_TRUE(other.ok()) << other.error().message;
  Status added = (*other)->AddModule("veth", b->veth);
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.error().message.find("module veth's BTF"), std::string::npos) << added.error().message;
  std::printf("refused: %s\n", added.error().message.c_str());
  EXPECT_EQ((*other)->module_count(), 0u);
}

TEST(BtfChecks, DamagedBlobsAreRefusedWithTheReason) {
  const RealBlobs* b = &Blobs();
  if (!b->missing.empty()) GTEST_SKIP() << b->missing;
  const std::vector<unsigned char>& good = b->kernel.bytes;
  auto refused = [](std::vector<unsigned char> blob, const std::string& why) {
    auto parsed = BtfTypes::Parse(blob, "damaged");
    ASSERT_FALSE(parsed.ok()) << why;
    EXPECT_NE(parsed.error().message.find(why), std::string::npos) << parsed.error().message;
  };
  refused({good.begin(), good.begin() + 10}, "shorter than its header");
  std::vector<unsigned char> blob = good;
  blob[0] = 0;
  refused(blob, "no BTF magic");
  blob = good;
  std::swap(blob[0], blob[1]);
  refused(blob, "other byte order");
  blob = good;
  blob[2] = 2;
  refused(blob, "version 2");
  blob = good;
  Put32(blob, 20, Get32(blob, 20) + 4096);  // str_len past the end
  refused(blob, "reach past");
  // Truncated anywhere: refused, never a crash.
  for (size_t cut : {size_t{24}, good.size() / 3, good.size() / 2, good.size() - 1}) {
    auto parsed = BtfTypes::Parse(std::span(good.data(), cut), "cut");
    EXPECT_FALSE(parsed.ok()) << cut;
  }
  // The first pointer type made to point past the last type: records walked by their kinds' sizes
  // (include/uapi/linux/btf.h).
  blob = good;
  const size_t types_at = Get32(blob, 4) + Get32(blob, 8), types_end = types_at + Get32(blob, 12);
  bool patched = false;
  for (size_t at = types_at; at + 12 <= types_end;) {
    const uint32_t info = Get32(blob, at + 4), vlen = info & 0xffff, kind = (info >> 24) & 0x1f;
    if (kind == 2 /* PTR */) {
      Put32(blob, at + 8, 0x7fffff);
      patched = true;
      break;
    }
    size_t extra = 0;
    switch (kind) {
      case 1: case 14: case 17: extra = 4; break;                   // INT, VAR, DECL_TAG
      case 3: extra = 12; break;                                    // ARRAY
      case 4: case 5: case 15: case 19: extra = 12 * vlen; break;   // STRUCT, UNION, DATASEC, ENUM64
      case 6: case 13: extra = 8 * vlen; break;                     // ENUM, FUNC_PROTO
      default: break;
    }
    at += 12 + extra;
  }
  ASSERT_TRUE(patched) << "no pointer type";
  refused(blob, "refers to type 8388607");
}

// fuzz/make-seeds.sh's small pair: a task_struct with an anonymous union and a 3-bit bitfield
// (kind_flag encoding), and a module's struct on top, as the lookups see them.
TEST(BtfChecks, AnonymousMembersBitfieldsAndAModuleInTheSeedPair) {
  std::ifstream in(std::string(KTRIAGE_SOURCE_DIR) + "/fuzz/regressions/btf_types/kernel-and-module", std::ios::binary);
  const std::vector<unsigned char> input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(input.size(), 2u);
  const size_t kernel_size = input[0] | input[1] << 8;
  ASSERT_LE(2 + kernel_size, input.size());
  auto types = BtfTypes::Parse(std::span(input.data() + 2, kernel_size), "seed");
  ASSERT_TRUE(types.ok()) << types.error().message;
  EXPECT_EQ(*(*types)->SizeOf("task_struct"), 24u);
  EXPECT_EQ(*(*types)->Offset("task_struct", "next"), 8u);
  Result<MemberLayout> state = (*types)->Member("task_struct", "state");  // inside the anonymous union
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(state->offset, 16u);
  EXPECT_EQ(state->size, 4u);
  Result<MemberLayout> flags = (*types)->Member("task_struct", "flags");
  ASSERT_TRUE(flags.ok()) << flags.error().message;
  EXPECT_EQ(flags->offset, 20u);
  EXPECT_EQ(flags->bit_offset, 0u);
  EXPECT_EQ(flags->bit_size, 3u);
  EXPECT_FALSE((*types)->Has("module_priv", "pid"));
  Status added = (*types)->AddModule("m", std::span(input.data() + 2 + kernel_size, input.size() - 2 - kernel_size));
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(*(*types)->SizeOf("module_priv"), 8u);
  EXPECT_TRUE((*types)->Has("module_priv", "pid"));
}

}  // namespace
}  // namespace ktriage::kernel
