// JSON Lines records; reports and findings through analyzer/output's JsonLineObject so that their
// fields are spelt exactly as `ktriage analyze --format json` spells them.
#include "analyzer/triage/jsonl_record.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "analyzer/output/analysis_output.h"
#include "base/text.h"

namespace ktriage::triage {
namespace {

using nlohmann::ordered_json;

std::string Dump(const ordered_json& j) { return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace); }

ordered_json Time(const std::optional<int64_t>& t) {
  if (!t) return nullptr;
  const std::time_t tt = static_cast<std::time_t>(*t);
  std::tm tm{};
  if (gmtime_r(&tt, &tm) == nullptr) return nullptr;
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

ordered_json Strings(const std::vector<std::string>& list) {
  ordered_json a = ordered_json::array();
  for (const std::string& s : list) a.push_back(SanitizeUtf8(s));
  return a;
}

}  // namespace

const char* StatusName(OutcomeStatus status) {
  switch (status) {
    case OutcomeStatus::kAnalysed: return "analysed";
    case OutcomeStatus::kFailed: return "failed";
    case OutcomeStatus::kSkipped: return "skipped";
    case OutcomeStatus::kSuperseded: return "superseded";
    case OutcomeStatus::kInterrupted: return "interrupted";
  }
  return "analysed";
}

std::string LeadingMembers(std::string_view type, std::string_view input, std::string_view host,
                           const std::optional<int64_t>& time) {
  std::string out = "\"type\":" + Dump(std::string(type));
  out += ",\"input\":" + Dump(SanitizeUtf8(input));
  out += ",\"host\":" + Dump(SanitizeUtf8(host));
  out += ",\"time\":" + Dump(Time(time));
  return out;
}

std::string ReportLine(std::string_view leading_members, const CrashReport& report) {
  return JsonLineObject(leading_members, &report, nullptr) + "\n";
}

std::string FindingLine(std::string_view leading_members, const rules::Finding& finding) {
  return JsonLineObject(leading_members, nullptr, &finding) + "\n";
}

std::string InputLine(const ItemOutcome& o) {
  ordered_json j;
  j["type"] = "input";
  j["input"] = SanitizeUtf8(o.name);
  j["host"] = SanitizeUtf8(o.host);
  j["time"] = Time(o.time);
  j["status"] = StatusName(o.status);
  j["reason"] = SanitizeUtf8(o.reason);
  j["kind"] = o.kind;
  j["format"] = o.format;
  j["compression"] = SanitizeUtf8(o.compression);
  j["kernel_release"] = SanitizeUtf8(o.kernel_release);
  j["bytes"] = o.bytes;
  j["lines"] = o.lines;
  j["reports"] = o.digests.reports();
  j["findings"] = o.digests.findings();
  j["errors"] = Strings(o.errors);
  ordered_json warnings = Strings(o.warnings);
  for (const std::string& n : o.notes) warnings.push_back(SanitizeUtf8(n));
  j["warnings"] = std::move(warnings);
  return Dump(j) + "\n";
}

std::string RememberedInputLine(const std::string& path, uint64_t findings, uint64_t crashes, uint64_t errors) {
  ordered_json j;
  j["type"] = "input";
  j["input"] = SanitizeUtf8(path);
  j["host"] = "";
  j["time"] = nullptr;
  j["status"] = "remembered";
  j["reason"] = "unchanged since an earlier run (size, mtime and content hash)";
  j["findings"] = findings;
  j["unknown_crashes"] = crashes;
  j["failed"] = errors;
  return Dump(j) + "\n";
}

}  // namespace ktriage::triage
