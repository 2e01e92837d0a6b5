// Rust symbols from a real syzkaller report (corpora/syzkaller-report/748) and damaged ones.
#include "base/rust_demangle.h"

#include <gtest/gtest.h>

namespace ktriage {
namespace {

TEST(RustDemangle, PathsOfTheKernelsRustCode) {
  EXPECT_EQ(DemangleRust("_RNvCscSpY9Juk0HT_7___rustc17rust_begin_unwind"), "__rustc::rust_begin_unwind");
  auto m = DemangleRust("_RNvMs3_NtCshgDM7dBCdno_11rust_binder7processNtB5_7Process10update_ref");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, "<rust_binder::process::Process>::update_ref");
}

TEST(RustDemangle, NotRustOrDamaged) {
  EXPECT_FALSE(DemangleRust("netdev_pick_tx"));
  EXPECT_FALSE(DemangleRust("_R"));
  EXPECT_FALSE(DemangleRust(""));
  EXPECT_FALSE(DemangleRust("_RNvCs_9999999999999999999999"));  // a length past the end
  EXPECT_FALSE(DemangleRust(std::string_view("_RNv\0C", 6)));
}

}  // namespace
}  // namespace ktriage
