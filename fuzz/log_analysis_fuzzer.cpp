// Fuzz target: arbitrary bytes as a log through the whole pipeline (decompression when the bytes
// start with a compressor's magic, transport detection, line decoding, report segmentation,
// frames, titles, signatures, the shipped rules) and both output writers. The JSON written must parse back: the
// document is a contract, whatever bytes the log held.
#include <nlohmann/json.hpp>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "analyzer/ingest/input_source.h"
#include "analyzer/output/analysis_output.h"
#include "analyzer/pipeline/input_pipeline.h"
#include "analyzer/pipeline/rule_set.h"
#include "base/scoped_fd.h"

namespace {

using namespace ktriage;

const pipeline::Tools& Tools() {
  // The catalog and the shipped rules are built once: building them per input would be all the
  // fuzzer measured.
  static const pipeline::Tools tools = [] {
    Result<std::shared_ptr<const LogAnalyzer>> created = LogAnalyzer::Create();
    if (!created) std::abort();
    pipeline::LoadedRuleSet rules = pipeline::LoadRuleSet({});
    if (!rules.engine) std::abort();
    return pipeline::Tools{*created, *rules.engine};
  }();
  return tools;
}

// Ends a decompressed stream after `limit` bytes: `analyze` reads whatever it is given, and a
// 20 KB input that inflates to gigabytes would be a slow input for the fuzzer, not a bug.
class CappedSource final : public InputSource {
 public:
  CappedSource(std::unique_ptr<InputSource> inner, uint64_t limit) : inner_(std::move(inner)), left_(limit) {}
  Result<size_t> Read(char* buffer, size_t size) override {
    Result<size_t> got = inner_->Read(buffer, static_cast<size_t>(std::min<uint64_t>(size, left_)));
    if (got) left_ -= *got;
    return got;
  }
  const std::string& name() const override { return inner_->name(); }
  std::string_view compression() const override { return inner_->compression(); }

 private:
  std::unique_ptr<InputSource> inner_;
  uint64_t left_;
};

// A compressed input goes through OpenInputFile (decompression detected by content), from a memfd.
std::unique_ptr<InputSource> Open(std::string_view bytes, ScopedFd& fd) {
  static constexpr std::string_view kMagics[] = {"\x1f\x8b", "\xfd" "7zXZ", "\x28\xb5\x2f\xfd", "BZh", "\x04\x22\x4d\x18"};
  for (std::string_view magic : kMagics) {
    if (bytes.substr(0, magic.size()) != magic) continue;
    fd.Reset(::memfd_create("fuzz-log", MFD_CLOEXEC));
    if (!fd.valid() || ::write(fd.get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) break;
    Result<std::unique_ptr<InputSource>> file = OpenInputFile("/proc/self/fd/" + std::to_string(fd.get()));
    if (file) return std::make_unique<CappedSource>(std::move(*file), 16 << 20);
    break;
  }
  return MemoryInput(bytes, "fuzz.log");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ScopedFd fd;
  std::unique_ptr<InputSource> source = Open(bytes, fd);
  uint64_t kernel_lines = 0;
  pipeline::InputHooks hooks;
  hooks.line = [&](const LogLine& line) {
    if (line.kernel) ++kernel_lines;
  };
  pipeline::InputOptions options;
  options.keep_reports = true;
  pipeline::Input input;
  input.name = "fuzz.log";
  input.log = source.get();
  std::vector<InputResult> inputs;
  inputs.push_back(pipeline::AnalyzeInput(input, Tools(), options, hooks));
  const LogAnalysis& analysis = inputs[0].analysis;
  if (analysis.stats.kernel_lines != kernel_lines) std::abort();
  if (analysis.reports.size() != inputs[0].report_count) std::abort();
  for (const CrashReport& report : analysis.reports) {
    if (report.line_start > report.line_end || report.line_end > analysis.stats.lines) std::abort();
  }
  for (const rules::Finding& f : inputs[0].findings) {
    if (f.report && *f.report >= analysis.reports.size()) std::abort();
  }
  std::ostringstream json;
  WriteJson(json, inputs);
  if (!nlohmann::json::accept(json.str())) std::abort();
  std::ostringstream text;
  WriteText(text, inputs, TextOutputOptions{});
  return 0;
}
