// RunRuleTests and ExplainRule.
#include "analyzer/pipeline/rule_tools.h"

#include <filesystem>

namespace ktriage::pipeline {
namespace {

// A test's input: its file beside the rule file (a log or a dump, told by content), or its text.
InputResult RunTest(const rules::Rule& rule, const rules::RuleTest& test, const std::string& name, const Tools& tools,
                    const std::string& explain) {
  InputOptions options;
  options.state = test.state;
  options.explain_rule = explain;
  Input input;
  std::unique_ptr<InputSource> text;
  if (test.file.empty()) {
    text = MemoryInput(test.log, name);
    input.name = name;
    input.log = text.get();
  } else {
    input.path = (std::filesystem::path(rule.where.file).parent_path() / test.file).string();
  }
  return AnalyzeInput(input, tools, options);
}

}  // namespace

std::vector<RuleTestResult> RunRuleTests(const std::vector<rules::Rule>& rules, const Tools& tools) {
  std::vector<RuleTestResult> results;
  for (const rules::Rule& rule : rules) {
    for (size_t i = 0; i < rule.tests.size(); ++i) {
      const rules::RuleTest& test = rule.tests[i];
      RuleTestResult r;
      r.rule_id = rule.id;
      r.name = test.name.empty() ? "test " + std::to_string(i + 1) : test.name;
      r.where = test.where;
      const InputResult classified = RunTest(rule, test, r.name, tools, "");
      if (!classified.opened) {
        r.message = "cannot read the test file: " + (classified.errors.empty() ? test.file : classified.errors.front());
        results.push_back(std::move(r));
        continue;
      }
      std::vector<const rules::Finding*> mine;
      for (const rules::Finding& f : classified.findings)
        if (f.rule_id == rule.id) mine.push_back(&f);
      r.passed = mine.size() == test.findings;
      if (!r.passed) {
        r.message = "expected " + std::to_string(test.findings) + " finding(s), got " + std::to_string(mine.size());
        if (mine.empty() && test.findings > 0) {
          // Why not: the first condition that failed, from a second run that keeps the trace.
          {
            const InputResult explained = RunTest(rule, test, r.name, tools, rule.id);
            for (const rules::TraceStep& s : explained.trace) {
              if (!s.held && !s.detail.empty()) {
                r.message += "; " + s.what + ": " + s.detail;
                break;
              }
            }
            r.message += " (" + std::to_string(explained.report_count) + " report(s) in the log)";
          }
        } else {
          for (const rules::Finding* f : mine) r.message += "; found: " + f->summary;
        }
      }
      for (const std::string& want : test.summary_contains) {
        bool any = false;
        for (const rules::Finding* f : mine) any = any || f->summary.find(want) != std::string::npos;
        if (!any) {
          r.passed = false;
          r.message += (r.message.empty() ? "" : "; ") + std::string("no finding's summary contains '") + want + "'" +
                       (mine.empty() ? "" : " (first: '" + mine.front()->summary + "')");
        }
      }
      results.push_back(std::move(r));
    }
  }
  return results;
}

Result<InputResult> ExplainRule(const std::string& rule_id, const std::string& path, const Tools& tools,
                                InputOptions options) {
  options.explain_rule = rule_id;
  Input input;
  input.path = path;
  InputResult result = AnalyzeInput(input, tools, options);
  if (!result.opened) return Error{result.errors.empty() ? path + ": cannot be read" : result.errors.front()};
  if (result.vmcore && result.vmcore->log_layout.empty()) {
    return Error{result.path + ": the crash dump's kernel log could not be read"};
  }
  std::erase_if(result.findings, [&](const rules::Finding& f) { return f.rule_id != rule_id; });
  return result;
}

}  // namespace ktriage::pipeline
