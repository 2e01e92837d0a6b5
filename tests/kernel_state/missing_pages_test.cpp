// Missing pages stop one walk, never the others: on the real pinned-namespace dump of every
// walkable family, memory with one page taken out (as a filtered or truncated dump loses it). A
// task's stack page: that task's stack stops with the reason, every other stack still reaches its
// bottom. A task_struct page in the middle of the task list: the task walk says where it broke,
// and the namespaces walk still finds the namespace the orphaned socket pins.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "analyzer/kernel_state/dwarf_types.h"
#include "analyzer/kernel_state/vmlinux_symbols.h"
#include "analyzer/kernel_state/kernel_modules.h"
#include "analyzer/kernel_analyses/net_namespaces.h"
#include "analyzer/kernel_state/stack_unwinder.h"
#include "analyzer/kernel_state/task_list.h"
#include "base/text.h"
#include "tests/kernel_state/patched_memory.h"
#include "tests/symbols/debuginfo_cache.h"
#include "tests/vmcore/dump_cache.h"

namespace ktriage::kernel {
namespace {

using HoleyMemory = testing::PatchedMemory;  // only pages taken out here

struct Case {
  std::string scenario;
  std::string file;
  std::string family;
};

class MissingPages : public ::testing::TestWithParam<Case> {
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
    auto types = DwarfTypes::Open(vmlinux_);
    ASSERT_TRUE(types.ok()) << types.error().message;
    types_ = std::move(*types);
    auto symbols = VmlinuxSymbols::Open(vmlinux_);
    ASSERT_TRUE(symbols.ok()) << symbols.error().message;
    symbols_ = std::move(*symbols);
    whole_.emplace(ContextOfDump(*dump_, *types_, *symbols_, *FindKernelArch(dump_->facts().arch)));
    holey_memory_ = std::make_unique<HoleyMemory>(*dump_);
    holey_.emplace(KernelContext{*holey_memory_, *types_, *symbols_, whole_->arch, whole_->kernel_offset, whole_->release,
                                 whole_->pac_mask});
    tasks_ = ReadTasks(*whole_);
    ASSERT_GT(tasks_.tasks.size(), 20u);
  }

  std::string vmlinux_;
  std::unique_ptr<DumpFile> dump_;
  std::unique_ptr<KernelTypes> types_;
  std::optional<VmlinuxSymbols> symbols_;
  std::optional<KernelContext> whole_, holey_;
  std::unique_ptr<HoleyMemory> holey_memory_;
  TaskListResult tasks_;
};

TEST_P(MissingPages, AStackPageStopsOnlyThatStack) {
  // A sleeping process's stack, not a CPU's.
  const TaskInfo* victim = nullptr;
  for (const TaskInfo& t : tasks_.tasks) {
    if (!t.on_cpu && t.state == 'S' && t.pid > 1 && !t.kernel_thread && t.saved_sp != 0) victim = &t;
  }
  ASSERT_NE(victim, nullptr);
  for (uint64_t a : {victim->saved_sp, victim->saved_fp}) {
    if (a != 0) holey_memory_->holes.insert(a & ~uint64_t{4095});
  }
  const ModuleList modules = ReadModules(*holey_);
  auto unwinder = StackUnwinder::Create(*holey_, modules, vmlinux_);
  ASSERT_TRUE(unwinder.ok()) << unwinder.error().message;
  size_t others = 0;
  for (const TaskInfo& t : tasks_.tasks) {
    if (t.on_cpu) continue;
    Result<Backtrace> bt = (*unwinder)->UnwindSleeping(t);
    if (t.address == victim->address) {
      // Stopped, saying why: an error, or a stack that ends at the missing page.
      if (bt.ok()) {
        EXPECT_FALSE(bt->complete) << bt->end;
        EXPECT_NE(bt->end.find("taken out by the test"), std::string::npos) << bt->end;
      } else {
        EXPECT_NE(bt.error().message.find("taken out by the test"), std::string::npos) << bt.error().message;
      }
      continue;
    }
    ASSERT_TRUE(bt.ok()) << t.pid << ": " << bt.error().message;
    EXPECT_TRUE(bt->complete) << t.pid << " " << t.comm << ": " << bt->end;
    ++others;
  }
  EXPECT_GT(others, 20u);
}

TEST_P(MissingPages, ATaskPageStopsTheTaskWalkNotTheNamespaces) {
  // The list link of a task in the middle of the list.
  const TaskInfo& victim = tasks_.tasks[tasks_.tasks.size() / 2];
  Result<uint64_t> link = types_->Offset("task_struct", "tasks");
  ASSERT_TRUE(link.ok());
  holey_memory_->holes.insert((victim.address + *link) & ~uint64_t{4095});
  const TaskListResult tasks = ReadTasks(*holey_);
  ASSERT_FALSE(tasks.problems.empty());
  EXPECT_NE(tasks.problems.front().find("taken out by the test"), std::string::npos) << tasks.problems.front();
  EXPECT_LT(tasks.tasks.size(), tasks_.tasks.size());
  Result<uint64_t> jiffies = ReadJiffies(*holey_);
  ASSERT_TRUE(jiffies.ok()) << jiffies.error().message;
  const NetNamespaces net = ReadNetNamespaces(*holey_, tasks.tasks, *jiffies);
  size_t findings = 0;
  for (const NetNamespaceInfo& ns : net.namespaces) findings += PinnedNamespaceFinding(ns, net.hz).has_value();
  EXPECT_EQ(findings, 1u);
}

bool Walkable(const testing::KernelFamily& f) { return !WhyNotWalkable(f.arch).has_value(); }

INSTANTIATE_TEST_SUITE_P(Dumps, MissingPages,
                         ::testing::ValuesIn(testing::ForEachFamily<Case>({{"netns-tcp-pinned-kaslr", "vmcore.kdump-zlib", ""}},
                                                                          Walkable)),
                         [](const ::testing::TestParamInfo<Case>& info) { return testing::ParamName(info.param.family); });

}  // namespace
}  // namespace ktriage::kernel
