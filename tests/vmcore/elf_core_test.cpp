// ParseElfNotes on note areas built here: names with and without padding, both byte orders, and
// damaged areas, which give the notes before the damage and nothing made up.
#include "analyzer/vmcore/elf_core.h"

#include <gtest/gtest.h>

namespace ktriage {
namespace {

void Put32(std::string& out, uint32_t v, bool le) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>(v >> (8 * (le ? i : 3 - i)));
}

std::string Note(std::string_view name, uint32_t type, std::string_view desc, bool le = true) {
  std::string out;
  Put32(out, static_cast<uint32_t>(name.size() + 1), le);
  Put32(out, static_cast<uint32_t>(desc.size()), le);
  Put32(out, type, le);
  out += name;
  out += '\0';
  while (out.size() % 4 != 0) out += '\0';
  out += desc;
  while (out.size() % 4 != 0) out += '\0';
  return out;
}

TEST(ElfNotesTest, ReadsEveryNoteOfAnArea) {
  const std::string area = Note("CORE", 1, std::string(336, 'p')) + Note("QEMU", 0, std::string(440, 'q')) +
                           Note("VMCOREINFO", 0, "OSRELEASE=6.1.0\n");
  std::vector<ElfNote> notes = ParseElfNotes(area, true);
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes[0].name, "CORE");
  EXPECT_EQ(notes[0].type, 1u);
  EXPECT_EQ(notes[0].desc.size(), 336u);
  EXPECT_EQ(notes[1].name, "QEMU");
  EXPECT_EQ(notes[1].desc, std::string(440, 'q'));
  EXPECT_EQ(notes[2].name, "VMCOREINFO");
  EXPECT_EQ(notes[2].desc, "OSRELEASE=6.1.0\n");
}

TEST(ElfNotesTest, BigEndianAreas) {
  const std::string area = Note("CORE", 1, "abcde", false) + Note("QEMU", 0, "xy", false);
  std::vector<ElfNote> notes = ParseElfNotes(area, false);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].desc, "abcde");
  EXPECT_EQ(notes[1].name, "QEMU");
  EXPECT_TRUE(ParseElfNotes(area, true).empty()) << "the wrong byte order reads absurd sizes: no note";
}

TEST(ElfNotesTest, ADamagedAreaGivesTheNotesBeforeTheDamage) {
  const std::string good = Note("CORE", 1, std::string(64, 'p'));
  std::string area = good + Note("QEMU", 0, std::string(64, 'q'));
  // The second note claims a descriptor longer than what is left.
  area[good.size() + 4] = '\x7f';
  std::vector<ElfNote> notes = ParseElfNotes(area, true);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].name, "CORE");
  // Every cut of a valid area: never more notes than whole ones, never a read past the end.
  const std::string whole = good + Note("QEMU", 0, std::string(64, 'q'));
  for (size_t n = 0; n < whole.size(); ++n) {
    const size_t expected = n >= whole.size() ? 2 : n >= good.size() ? 1 : 0;
    EXPECT_EQ(ParseElfNotes(std::string_view(whole).substr(0, n), true).size(), expected) << n;
  }
  // Sizes near 2^32 must not wrap the bounds check.
  std::string huge;
  Put32(huge, 0xfffffffd, true);
  Put32(huge, 8, true);
  Put32(huge, 0, true);
  huge += std::string(32, 'z');
  EXPECT_TRUE(ParseElfNotes(huge, true).empty());
}

}  // namespace
}  // namespace ktriage
