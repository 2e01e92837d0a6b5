// WriteRuleList, WriteRuleTestResults, WriteExplanation.
#include "analyzer/output/rules_output.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/text.h"

namespace ktriage {

std::string Plural(size_t n, const std::string& word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

void WriteRuleList(std::ostream& out, const std::vector<rules::Rule>& rules, size_t files, bool json) {
  std::vector<const rules::Rule*> sorted;
  for (const rules::Rule& r : rules) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](const rules::Rule* a, const rules::Rule* b) { return a->id < b->id; });
  if (json) {
    nlohmann::ordered_json doc;
    doc["schema"] = "ktriage.rules-list/1";
    doc["rules"] = nlohmann::ordered_json::array();
    for (const rules::Rule* r : sorted) {
      nlohmann::ordered_json j;
      j["id"] = r->id;
      j["severity"] = rules::SeverityName(r->severity);
      j["title"] = SanitizeUtf8(r->title);
      j["tags"] = nlohmann::ordered_json::array();
      for (const std::string& t : r->tags) j["tags"].push_back(SanitizeUtf8(t));
      j["tests"] = r->tests.size();
      j["scope"] = r->report_scoped ? "report" : "log";
      j["where"] = r->where.ToString();
      doc["rules"].push_back(std::move(j));
    }
    out << doc.dump(2) << '\n';
    return;
  }
  size_t width = 2;
  for (const rules::Rule* r : sorted) width = std::max(width, r->id.size());
  for (const rules::Rule* r : sorted) {
    std::string id = r->id, severity = rules::SeverityName(r->severity);
    id.resize(width, ' ');
    severity.resize(8, ' ');
    std::string tests = std::to_string(r->tests.size()) + (r->tests.size() == 1 ? " test " : " tests");
    std::string tags;
    for (const std::string& t : r->tags) tags += (tags.empty() ? "" : ",") + t;
    out << id << "  " << severity << "  " << tests << "  " << SanitizeUtf8(r->title)
        << (tags.empty() ? "" : "  [" + SanitizeUtf8(tags) + "]") << '\n';
  }
  out << Plural(sorted.size(), "rule") << " in " << Plural(files, "file") << '\n';
}

void WriteRuleTestResults(std::ostream& out, const std::vector<pipeline::RuleTestResult>& results,
                          const std::vector<rules::Rule>& selected) {
  size_t failed = 0;
  for (const pipeline::RuleTestResult& r : results) {
    if (r.passed) {
      out << "PASS " << r.rule_id << ": " << r.name << '\n';
    } else {
      ++failed;
      out << "FAIL " << r.rule_id << ": " << r.name << " (" << r.where.file << ":" << r.where.line
          << "): " << SanitizeUtf8(r.message) << '\n';
    }
  }
  std::vector<std::string> untested;
  for (const rules::Rule& r : selected) {
    if (r.tests.empty()) untested.push_back(r.id);
  }
  out << Plural(results.size(), "test") << " of " << Plural(selected.size(), "rule") << ": " << results.size() - failed
      << " passed, " << failed << " failed";
  if (!untested.empty()) {
    out << "; without tests:";
    for (const std::string& id : untested) out << ' ' << id;
  }
  out << '\n';
}

void WriteExplanation(std::ostream& out, const rules::Rule& rule, const std::string& name, const InputResult& input) {
  out << "rule " << rule.id << " (" << rule.where.ToString() << "), "
      << (rule.report_scoped ? "report-scoped: evaluated on each report" : "log-scoped: evaluated on the whole log")
      << '\n';
  out << "input " << name << ": " << (input.vmcore ? "crash dump, " : "") << Plural(input.analysis.stats.lines, "line")
      << ", " << Plural(input.report_count, "report") << "\n\n";
  for (const rules::TraceStep& s : input.trace) {
    const std::string indent(static_cast<size_t>(s.depth) * 2, ' ');
    out << indent << (s.held ? "held   " : "failed ") << SanitizeUtf8(s.what) << "  [" << s.where.ToString() << "]\n";
    if (!s.detail.empty()) out << indent << "       " << SanitizeUtf8(s.detail) << '\n';
  }
  out << '\n';
  if (input.findings.empty()) {
    out << "result: the rule did not fire\n";
    return;
  }
  out << "result: the rule fired: " << Plural(input.findings.size(), "finding") << '\n';
  for (const rules::Finding& f : input.findings) {
    out << "  " << SanitizeUtf8(f.summary);
    if (f.report) out << " (report #" << *f.report << ")";
    if (f.corroborated) out << " (corroborated)";
    out << '\n';
    for (const rules::EvidenceLine& e : f.evidence) out << "    line " << e.line << ": " << SanitizeUtf8(e.text) << '\n';
  }
}

}  // namespace ktriage
