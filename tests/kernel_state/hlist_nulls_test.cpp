// WalkHlistNulls on synthetic chains in FakeMemory: the nulls marker ends a chain, and a NULL link,
// a loop, an unreadable node or an endless chain stop the walk with a problem instead of a crash.
#include <gtest/gtest.h>

#include <vector>

#include "analyzer/kernel_state/kernel_hlist_nulls.h"
#include "tests/vmcore/fake_memory.h"

namespace ktriage::kernel {
namespace {

constexpr uint64_t kHead = 0xffff888000001000;
constexpr uint64_t kEntries = 0xffff888000002000;  // entry i at kEntries + i * 0x100
constexpr uint64_t kNodeOffset = 0x68;              // where sock_common keeps skc_nulls_node on 6.1
constexpr uint64_t kMarker = (7u << 1) | 1;         // the nulls value of bucket 7

uint64_t Entry(int i) { return kEntries + static_cast<uint64_t>(i) * 0x100; }
uint64_t Node(int i) { return Entry(i) + kNodeOffset; }

class HlistNulls : public ::testing::Test {
 protected:
  HlistNulls() {
    memory.Map(kHead, 16);
    memory.Map(kEntries, 0x1000);
  }
  // head -> entries in `order` -> `last` (the marker unless a test breaks the chain)
  void Chain(const std::vector<int>& order, uint64_t last) {
    memory.U64(kHead, order.empty() ? last : Node(order[0]));
    for (size_t i = 0; i < order.size(); ++i)
      memory.U64(Node(order[i]), i + 1 < order.size() ? Node(order[i + 1]) : last);
  }
  std::optional<std::string> Walk(size_t max = 100) {
    seen.clear();
    return WalkHlistNulls(memory, kHead, kNodeOffset, max, [&](uint64_t e) {
      seen.push_back(e);
      return true;
    });
  }
  testing::FakeMemory memory;
  std::vector<uint64_t> seen;
};

TEST_F(HlistNulls, EndsAtTheNullsMarker) {
  Chain({0, 2, 1}, kMarker);
  EXPECT_EQ(Walk(), std::nullopt);
  EXPECT_EQ(seen, (std::vector<uint64_t>{Entry(0), Entry(2), Entry(1)}));
}

TEST_F(HlistNulls, EmptyBucketHoldsItsMarker) {
  Chain({}, kMarker);
  EXPECT_EQ(Walk(), std::nullopt);
  EXPECT_TRUE(seen.empty());
}

TEST_F(HlistNulls, NullLinkIsAProblemNotAnEnd) {
  Chain({0, 1}, 0);
  auto problem = Walk();
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("NULL link after 2 entries"), std::string::npos) << *problem;
  EXPECT_EQ(seen.size(), 2u);
}

TEST_F(HlistNulls, LoopStopsTheWalk) {
  Chain({0, 1, 2}, 0);
  memory.U64(Node(2), Node(1));  // 2 -> 1: a loop that never reaches a marker
  auto problem = Walk();
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("loops back to"), std::string::npos) << *problem;
  EXPECT_EQ(seen, (std::vector<uint64_t>{Entry(0), Entry(1), Entry(2)}));
}

TEST_F(HlistNulls, UnreadableNodeIsNamed) {
  Chain({0}, 0);
  memory.U64(Node(0), 0xffff888000100000);  // not mapped
  auto problem = Walk();
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("0xffff888000100000"), std::string::npos) << *problem;
  // The entry behind the bad link is visited before its own link is read: the visitor's read of
  // it fails too and says so, the walk then stops.
  EXPECT_EQ(seen, (std::vector<uint64_t>{Entry(0), 0xffff888000100000 - kNodeOffset}));
}

TEST_F(HlistNulls, BoundedByMax) {
  Chain({0, 1, 2, 3, 4}, kMarker);
  auto problem = Walk(3);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("more than 3 entries"), std::string::npos) << *problem;
  EXPECT_EQ(seen.size(), 3u);
}

TEST_F(HlistNulls, VisitorCanStopEarly) {
  Chain({0, 1, 2}, kMarker);
  size_t n = 0;
  auto problem = WalkHlistNulls(memory, kHead, kNodeOffset, 100, [&](uint64_t) { return ++n < 2; });
  EXPECT_EQ(problem, std::nullopt);
  EXPECT_EQ(n, 2u);
}

TEST(NullsMarker, LowBit) {
  EXPECT_TRUE(IsNullsMarker(kMarker));
  EXPECT_TRUE(IsNullsMarker(1));
  EXPECT_FALSE(IsNullsMarker(0));
  EXPECT_FALSE(IsNullsMarker(Node(0)));
}

}  // namespace
}  // namespace ktriage::kernel
