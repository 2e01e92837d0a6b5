// The catalog: every built-in regex compiles, and the header search finds each header at every
// position of a line (the search hashes every other position, so odd and even both matter).
#include "analyzer/report/report_catalog.h"

#include <gtest/gtest.h>

namespace ktriage {
namespace {

TEST(ReportCatalog, BuiltinCatalogCompiles) {
  auto cat = ReportCatalog::Create();
  ASSERT_TRUE(cat.ok()) << cat.error().message;
  EXPECT_GT((*cat)->size(), 30u);
}

TEST(ReportCatalog, FindsEveryHeaderAtEveryOffset) {
  auto cat = *ReportCatalog::Create();
  const auto classes = BuiltinReportClasses();
  for (size_t c = 0; c < classes.size(); ++c) {
    const std::string& h = classes[c].header;
    if (h.size() < 4) {
      // A short header ("@[") counts only as a whole line, never inside one.
      EXPECT_TRUE(cat->HeaderHits(h) & (uint64_t{1} << c)) << "header '" << h << "' as the line";
      EXPECT_FALSE(cat->HeaderHits("x" + h) & (uint64_t{1} << c)) << "header '" << h << "' inside a line";
      EXPECT_FALSE(cat->HeaderHits("user@[2001:db8::1]:22") & (uint64_t{1} << c)) << "header '" << h << "'";
      continue;
    }
    for (size_t off = 0; off < 9; ++off) {
      for (size_t tail = 0; tail < 3; ++tail) {
        std::string line = std::string(off, 'x') + h + std::string(tail, 'y');
        uint64_t hits = cat->HeaderHits(line);
        EXPECT_TRUE(hits & (uint64_t{1} << c)) << "header '" << h << "' at offset " << off << " tail " << tail;
      }
    }
  }
}

TEST(ReportCatalog, PlainLinesHaveNoHits) {
  auto cat = *ReportCatalog::Create();
  for (const char* line : {"", "abc", "docker0: port 1(veth1a2b3c) entered forwarding state",
                           "EXT4-fs (dm-0): mounted filesystem with ordered data mode. Quota mode: none.",
                           "IPv6: ADDRCONF(NETDEV_CHANGE): veth0: link becomes ready"})
    EXPECT_EQ(cat->HeaderHits(line), 0u) << line;
  EXPECT_EQ(cat->MatchStart("watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [ip:2541]"), 0) << "BUG: is class 0";
  EXPECT_EQ(cat->MatchStart("xBUG: no syscalls can create resource"), -1) << "suppressed";
}

TEST(ReportCatalog, BadRegexIsAnErrorNamingTheClass) {
  std::vector<ReportClass> classes(1);
  classes[0].header = "OOPS:";
  TitleFormat f;
  f.title = "OOPS: (unclosed";
  classes[0].formats.push_back(f);
  auto cat = ReportCatalog::Create(classes);
  ASSERT_FALSE(cat.ok());
  EXPECT_NE(cat.error().message.find("OOPS:"), std::string::npos) << cat.error().message;
}

}  // namespace
}  // namespace ktriage
