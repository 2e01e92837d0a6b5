// WriteText and the streaming text writer: what a person sees per input and per report.
#include <gtest/gtest.h>

#include <sstream>

#include "analyzer/output/analysis_output.h"
#include "tests/output/report_fixtures.h"

namespace ktriage {
namespace {

using testing::SampleInput;
using testing::SoftLockupReport;

std::string Text(const std::vector<InputResult>& inputs, TextOutputOptions options = {}) {
  std::ostringstream out;
  WriteText(out, inputs, options);
  return out.str();
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

TEST(TextOutput, ReportSummaryHasTitleWhereTaskAndMarkers) {
  CrashReport r = SoftLockupReport();
  r.corrupted = true;
  r.corrupted_reason = "report cut at 2000 lines";
  r.interleaved = true;
  std::string text = Text({SampleInput({r})});
  EXPECT_NE(text.find("BUG: soft lockup in netdev_pick_tx"), std::string::npos);
  EXPECT_NE(text.find("soft_lockup"), std::string::npos);
  EXPECT_NE(text.find("corpora/samples/veth-softlockup.log:301-352 [5256.508123-5256.612004]"), std::string::npos)
      << text;
  EXPECT_NE(text.find("CPU 1, PID 2541, comm ip"), std::string::npos);
  EXPECT_NE(text.find("tainted:     G L\n"), std::string::npos) << "taint padding collapsed:\n" << text;
  EXPECT_NE(text.find("6.1.0-50-cloud-amd64"), std::string::npos);
  EXPECT_NE(text.find("corrupted:   report cut at 2000 lines"), std::string::npos);
  EXPECT_NE(text.find("interleaved:"), std::string::npos);
  EXPECT_NE(text.find("panicked:    softlockup: hung tasks"), std::string::npos);
  EXPECT_NE(text.find("netdev_pick_tx+0x27c/0x294  (ip)"), std::string::npos);
  EXPECT_NE(text.find("ovs_vport_send+0x10/0x200 [openvswitch]"), std::string::npos);
  EXPECT_NE(text.find("1 report in 402 lines (dmesg)"), std::string::npos) << text;
}

TEST(TextOutput, NoColourMeansNoEscapeBytes) {
  CrashReport r = SoftLockupReport();
  r.title = "BUG: \x1b[2Jterminal games";  // from the log itself
  std::string plain = Text({SampleInput({r})});
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  std::string coloured = Text({SampleInput({r})}, TextOutputOptions{.color = true});
  EXPECT_NE(coloured.find("\x1b[1m\x1b[31mBUG: ?[2Jterminal games\x1b[0m"), std::string::npos) << coloured;
}

TEST(TextOutput, FramesAreCappedUnlessAllAreAsked) {
  CrashReport r = SoftLockupReport();  // 6 frames
  std::string capped = Text({SampleInput({r})}, TextOutputOptions{.max_frames = 4});
  EXPECT_NE(capped.find("... 2 more"), std::string::npos);
  EXPECT_EQ(capped.find("do_execute_actions"), std::string::npos);
  std::string all = Text({SampleInput({r})}, TextOutputOptions{.show_all_frames = true, .max_frames = 4});
  EXPECT_EQ(all.find("more"), std::string::npos);
  EXPECT_NE(all.find("do_execute_actions+0x10/0x200 [openvswitch]"), std::string::npos);
}

TEST(TextOutput, ContextChangesAndUnreliableFramesAreMarked) {
  CrashReport r = SoftLockupReport();
  r.frames[0].context = FrameContext::kIrq;
  r.frames[1].context = FrameContext::kIrq;
  r.frames[2].reliable = false;
  std::string text = Text({SampleInput({r})});
  size_t irq = text.find("<IRQ>");
  size_t task = text.find("<TASK>");
  ASSERT_NE(irq, std::string::npos) << text;
  ASSERT_NE(task, std::string::npos) << text;
  EXPECT_LT(irq, text.find("netdev_pick_tx+"));
  EXPECT_LT(text.find("netdev_core_pick_tx"), task);
  EXPECT_LT(task, text.find("__dev_queue_xmit"));
  EXPECT_EQ(Count(text, "<TASK>"), 1u) << "a marker only where the context changes";
  EXPECT_NE(text.find("? __dev_queue_xmit+0x10/0x200"), std::string::npos);
}

TEST(TextOutput, CleanInputIsOneLine) {
  std::string text = Text({SampleInput({})});
  EXPECT_EQ(Count(text, "\n"), 1u) << text;
  EXPECT_NE(text.find("corpora/samples/veth-softlockup.log: no crash reports in 402 lines"), std::string::npos)
      << text;
}

TEST(TextOutput, CleanInputsAreOneLineEach) {
  InputResult other = SampleInput({});
  other.path = "other.log";
  std::string text = Text({SampleInput({}), other, SampleInput({SoftLockupReport()}), other});
  EXPECT_EQ(text.rfind("corpora/samples/veth-softlockup.log: no crash reports", 0), 0u) << text;
  EXPECT_NE(text.find("(i440FX + PIIX, 1996)\nother.log: no crash reports"), std::string::npos) << text;
  EXPECT_NE(text.find("\n\nother.log: no crash reports"), std::string::npos) << "a report block is set off:\n" << text;
}

TEST(TextOutput, UnreadableInputShowsItsError) {
  InputResult missing;
  missing.path = "missing.log";
  missing.opened = false;
  missing.errors = {"missing.log: No such file or directory"};
  std::string text = Text({SampleInput({SoftLockupReport()}), missing});
  EXPECT_NE(text.find("missing.log: not analysed"), std::string::npos) << text;
  EXPECT_NE(text.find("error: missing.log: No such file or directory"), std::string::npos);
}

TEST(TextOutput, StreamingMatchesWholeDocument) {
  CrashReport second = SoftLockupReport();
  second.title = "second";
  std::vector<InputResult> inputs = {SampleInput({SoftLockupReport(), second}), SampleInput({})};
  TextOutputOptions options{.color = true};
  std::string whole = Text(inputs, options);
  std::ostringstream streamed;
  std::unique_ptr<AnalysisSink> writer = MakeTextWriter(streamed, options);
  for (InputResult& input : inputs) {
    writer->BeginInput(input.path, nullptr, nullptr);
    for (const CrashReport& r : input.analysis.reports) writer->WriteReport(r);
    input.analysis.reports.clear();
    writer->EndInput(input);
  }
  writer->Finish();
  EXPECT_EQ(streamed.str(), whole);
  EXPECT_NE(whole.find("2 reports in 402 lines"), std::string::npos) << whole;
}

}  // namespace
}  // namespace ktriage
