// WriteJson and the streaming JSON writer against the contract in docs/json.md.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "analyzer/output/analysis_output.h"
#include "tests/output/report_fixtures.h"

namespace ktriage {
namespace {

using nlohmann::ordered_json;
using testing::SampleInput;
using testing::SoftLockupReport;

std::string Json(const std::vector<InputResult>& inputs) {
  std::ostringstream out;
  WriteJson(out, inputs);
  return out.str();
}

std::vector<std::string> Keys(const ordered_json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

TEST(JsonOutput, DocumentHasSchemaAndDocumentedKeyOrder) {
  ordered_json doc = ordered_json::parse(Json({SampleInput({SoftLockupReport()})}));
  EXPECT_EQ(Keys(doc), (std::vector<std::string>{"schema", "inputs"}));
  EXPECT_EQ(doc["schema"], "ktriage.analysis/2");
  ASSERT_EQ(doc["inputs"].size(), 1u);
  const ordered_json& input = doc["inputs"][0];
  EXPECT_EQ(Keys(input), (std::vector<std::string>{"path", "vmcore", "reports", "format", "compression", "system",
                                                    "stats", "symbols", "findings", "errors", "deep"}));
  EXPECT_EQ(Keys(input["symbols"]), (std::vector<std::string>{"debuginfo", "notes"}));
  EXPECT_EQ(Keys(input["system"]),
            (std::vector<std::string>{"kernel_release", "kernel_version", "hardware", "command_line", "host",
                                      "first_timestamp", "last_timestamp"}));
  EXPECT_EQ(Keys(input["stats"]), (std::vector<std::string>{"bytes", "lines", "kernel_lines", "truncated_lines"}));
  ASSERT_EQ(input["reports"].size(), 1u);
  const ordered_json& report = input["reports"][0];
  EXPECT_EQ(Keys(report),
            (std::vector<std::string>{"kind", "title", "guilty_frame", "signature", "corrupted", "corrupted_reason",
                                      "interleaved", "panicked", "panic_message", "cpu", "pid", "comm", "tainted",
                                      "kernel_release", "hardware", "caller", "time_start", "time_end",
                                      "line_start", "line_end", "modules", "registers", "frames", "text"}));
  EXPECT_EQ(Keys(report["frames"][0]),
            (std::vector<std::string>{"function", "offset", "size", "module", "build_id", "address", "reliable",
                                      "is_ip", "context", "source", "printed_inline", "symbolized", "inlined"}));
}

TEST(JsonOutput, ReportFieldsCarryTheirValues) {
  ordered_json doc = ordered_json::parse(Json({SampleInput({SoftLockupReport()})}));
  const ordered_json& input = doc["inputs"][0];
  EXPECT_EQ(input["path"], "corpora/samples/veth-softlockup.log");
  EXPECT_EQ(input["format"], LogFormatName(LogFormat::kDmesg));
  EXPECT_EQ(input["compression"], "none");
  EXPECT_EQ(input["stats"]["lines"], 402);
  EXPECT_EQ(input["system"]["last_timestamp"], 5256.7);
  EXPECT_EQ(input["findings"], ordered_json::array());
  EXPECT_EQ(input["errors"], ordered_json::array());

  const ordered_json& r = input["reports"][0];
  EXPECT_EQ(r["kind"], "soft_lockup");
  EXPECT_EQ(r["title"], "BUG: soft lockup in netdev_pick_tx");
  EXPECT_EQ(r["panicked"], true);
  EXPECT_EQ(r["panic_message"], "softlockup: hung tasks");
  EXPECT_EQ(r["cpu"], 1);
  EXPECT_EQ(r["pid"], 2541);
  EXPECT_EQ(r["caller"], "C1");
  EXPECT_EQ(r["time_start"], 5256.508123);
  EXPECT_EQ(r["line_start"], 301);
  EXPECT_EQ(r["line_end"], 352);
  EXPECT_EQ(r["modules"], (ordered_json{"veth", "openvswitch", "nsh"}));
  // Registers in name order whatever order they were inserted in: deterministic output.
  EXPECT_EQ(Keys(r["registers"]), (std::vector<std::string>{"R15", "RAX", "RSP"}));
  EXPECT_EQ(r["text"].size(), 2u);

  const ordered_json& ip = r["frames"][0];
  EXPECT_EQ(ip["function"], "netdev_pick_tx");
  EXPECT_EQ(ip["offset"], "0x27c");
  EXPECT_EQ(ip["size"], "0x294");
  EXPECT_EQ(ip["is_ip"], true);
  EXPECT_EQ(ip["context"], FrameContextName(FrameContext::kTask));
  EXPECT_EQ(ip["address"], nullptr);
  const ordered_json& send = r["frames"][3];
  EXPECT_EQ(send["module"], "openvswitch");
  // 64-bit kernel addresses do not survive a JSON number (2^53); they are hex strings.
  EXPECT_EQ(send["address"], "0xffffffffc0a81234");
}

TEST(JsonOutput, AbsentOptionalsAreNullAndStringsStayStrings) {
  CrashReport bare;
  bare.frames.push_back(Frame{});
  InputResult input;
  input.path = "bare.log";
  input.analysis.reports.push_back(bare);
  ordered_json doc = ordered_json::parse(Json({input}));
  const ordered_json& r = doc["inputs"][0]["reports"][0];
  for (const char* key : {"cpu", "pid", "caller", "time_start", "time_end"}) {
    EXPECT_TRUE(r[key].is_null()) << key;
  }
  for (const char* key : {"title", "guilty_frame", "comm", "tainted", "panic_message", "corrupted_reason"}) {
    EXPECT_EQ(r[key], "") << key;
  }
  for (const char* key : {"offset", "size", "address"}) EXPECT_TRUE(r["frames"][0][key].is_null()) << key;
  EXPECT_TRUE(doc["inputs"][0]["system"]["first_timestamp"].is_null());
  EXPECT_EQ(r["registers"], ordered_json::object());
}

TEST(JsonOutput, ThreadCallerAndFullWidthAddress) {
  CrashReport r = SoftLockupReport();
  r.caller = Caller{Caller::Kind::kThread, 123};
  r.frames[0].address = 0xffffffffffffffffULL;
  ordered_json doc = ordered_json::parse(Json({SampleInput({r})}));
  EXPECT_EQ(doc["inputs"][0]["reports"][0]["caller"], "T123");
  EXPECT_EQ(doc["inputs"][0]["reports"][0]["frames"][0]["address"], "0xffffffffffffffff");
}

TEST(JsonOutput, BinaryGarbageStillGivesValidUtf8) {
  CrashReport r = SoftLockupReport();
  r.title = std::string("BUG: \xff\xfe in \xc3", 12);
  r.text = {std::string("\x00\x01\x80 nul and high bytes", 22), "\xed\xa0\x80 surrogate"};
  r.frames[1].function = "\xf0\x28\x8c\x28";
  r.registers["R\xff"] = "\xc0\xaf";
  InputResult input = SampleInput({r});
  input.path = "dir/\xfflog";
  input.errors = {"dir/\xfflog: read error \x80"};
  std::string json = Json({input});
  // nlohmann's parser rejects invalid UTF-8, so parsing is the validity check.
  ordered_json doc;
  ASSERT_NO_THROW(doc = ordered_json::parse(json));
  const std::string title = doc["inputs"][0]["reports"][0]["title"];
  EXPECT_NE(title.find("\xef\xbf\xbd"), std::string::npos) << "invalid bytes become U+FFFD";
  EXPECT_EQ(title.substr(0, 5), "BUG: ");
  EXPECT_EQ(doc["inputs"][0]["reports"][0]["text"][0].get<std::string>().substr(0, 1), std::string(1, '\0'));
}

TEST(JsonOutput, UnopenedInputHasNullFormatAndItsErrors) {
  InputResult missing;
  missing.path = "missing.log";
  missing.opened = false;
  missing.errors = {"missing.log: No such file or directory"};
  ordered_json doc = ordered_json::parse(Json({SampleInput({}), missing}));
  ASSERT_EQ(doc["inputs"].size(), 2u);
  EXPECT_EQ(doc["inputs"][0]["format"], LogFormatName(LogFormat::kDmesg));
  const ordered_json& m = doc["inputs"][1];
  EXPECT_TRUE(m["format"].is_null());
  EXPECT_TRUE(m["compression"].is_null());
  EXPECT_EQ(m["reports"], ordered_json::array());
  EXPECT_EQ(m["errors"], (ordered_json{"missing.log: No such file or directory"}));
}

TEST(JsonOutput, NoInputsIsStillADocument) {
  ordered_json doc = ordered_json::parse(Json({}));
  EXPECT_EQ(doc["schema"], kAnalysisSchema);
  EXPECT_EQ(doc["inputs"], ordered_json::array());
}

TEST(JsonOutput, DeterministicAndStreamingMatchesWholeDocument) {
  CrashReport second = SoftLockupReport();
  second.kind = ReportKind::kPanic;
  second.title = "kernel panic: softlockup: hung tasks";
  std::vector<InputResult> inputs = {SampleInput({SoftLockupReport(), second}), SampleInput({})};
  std::string whole = Json(inputs);
  EXPECT_EQ(whole, Json(inputs));

  std::ostringstream streamed;
  std::unique_ptr<AnalysisSink> writer = MakeJsonWriter(streamed);
  for (InputResult& input : inputs) {
    writer->BeginInput(input.path, nullptr, nullptr);
    for (const CrashReport& r : input.analysis.reports) writer->WriteReport(r);
    input.analysis.reports.clear();  // streamed reports are not in the final analysis
    writer->EndInput(input);
  }
  writer->Finish();
  EXPECT_EQ(streamed.str(), whole);
  ordered_json doc = ordered_json::parse(whole);
  EXPECT_EQ(doc["inputs"][0]["reports"][1]["kind"], ReportKindName(ReportKind::kPanic));
}

TEST(JsonOutput, OneReportPerLine) {
  std::string json = Json({SampleInput({SoftLockupReport(), SoftLockupReport()})});
  size_t report_lines = 0;
  std::istringstream lines(json);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("{\"kind\":", 0) == 0) {
      ++report_lines;
      EXPECT_TRUE(ordered_json::accept(line.back() == ',' ? line.substr(0, line.size() - 1) : line)) << line;
    }
  }
  EXPECT_EQ(report_lines, 2u);
}

}  // namespace
}  // namespace ktriage
