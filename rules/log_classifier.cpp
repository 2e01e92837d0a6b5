// ClassifyLog and RunRuleTests: the report pipeline with a RuleScanner attached.
#include "rules/log_classifier.h"

#include <filesystem>

namespace ktriage::rules {

SystemFacts SystemFactsOf(const LogAnalysis& analysis) {
  SystemFacts facts;
  facts.release = analysis.system.kernel_release;
  facts.hardware = analysis.system.hardware;
  for (const CrashReport& r : analysis.reports) {
    if (!r.panic_message.empty()) {
      facts.panic_message = r.panic_message;
      break;
    }
  }
  return facts;
}

Classified ClassifyLog(InputSource& source, const LogAnalyzer& analyzer, std::shared_ptr<const RuleEngine> engine,
                       const std::string& explain_rule, const std::vector<StateFact>& state) {
  Classified out;
  RuleScanner scanner(std::move(engine));
  std::vector<CrashReport> reports;
  LogAnalysisResult result = analyzer.Analyze(
      source,
      [&](CrashReport&& r) {
        scanner.OnReport(r);
        reports.push_back(std::move(r));
      },
      [&](const LogLine& line) { scanner.OnLine(line); });
  out.analysis = std::move(result.analysis);
  out.analysis.reports = std::move(reports);
  out.error = std::move(result.error);
  SystemFacts system = SystemFactsOf(out.analysis);
  system.state = state;
  scanner.SetSystem(std::move(system));
  out.findings = scanner.Evaluate();
  if (!explain_rule.empty()) out.trace = scanner.Explain(explain_rule);
  return out;
}

std::vector<RuleTestResult> RunRuleTests(const std::vector<Rule>& rules, const LogAnalyzer& analyzer,
                                         std::shared_ptr<const RuleEngine> engine) {
  std::vector<RuleTestResult> results;
  for (const Rule& rule : rules) {
    for (size_t i = 0; i < rule.tests.size(); ++i) {
      const RuleTest& test = rule.tests[i];
      RuleTestResult r;
      r.rule_id = rule.id;
      r.name = test.name.empty() ? "test " + std::to_string(i + 1) : test.name;
      r.where = test.where;
      std::unique_ptr<InputSource> source;
      if (!test.file.empty()) {
        const std::string path = (std::filesystem::path(rule.where.file).parent_path() / test.file).string();
        Result<std::unique_ptr<InputSource>> opened = OpenInputFile(path);
        if (!opened.ok()) {
          r.message = "cannot read the test file: " + opened.error().message;
          results.push_back(std::move(r));
          continue;
        }
        source = std::move(*opened);
      } else {
        source = MemoryInput(test.log, r.name);
      }
      Classified c = ClassifyLog(*source, analyzer, engine, "", test.state);
      std::vector<const Finding*> mine;
      for (const Finding& f : c.findings)
        if (f.rule_id == rule.id) mine.push_back(&f);
      r.passed = mine.size() == test.findings;
      if (!r.passed) {
        r.message = "expected " + std::to_string(test.findings) + " finding(s), got " + std::to_string(mine.size());
        if (mine.empty() && test.findings > 0) {
          // Why not: the first conditions that failed.
          RuleScanner again(engine);
          std::unique_ptr<InputSource> replay;
          if (!test.file.empty()) {
            auto opened = OpenInputFile((std::filesystem::path(rule.where.file).parent_path() / test.file).string());
            if (opened.ok()) replay = std::move(*opened);
          } else {
            replay = MemoryInput(test.log, r.name);
          }
          if (replay) {
            Classified e = ClassifyLog(*replay, analyzer, engine, rule.id, test.state);
            for (const TraceStep& s : e.trace) {
              if (!s.held && !s.detail.empty()) {
                r.message += "; " + s.what + ": " + s.detail;
                break;
              }
            }
            r.message += " (" + std::to_string(e.analysis.reports.size()) + " report(s) in the log)";
          }
        } else {
          for (const Finding* f : mine) r.message += "; found: " + f->summary;
        }
      }
      for (const std::string& want : test.summary_contains) {
        bool any = false;
        for (const Finding* f : mine) any = any || f->summary.find(want) != std::string::npos;
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

}  // namespace ktriage::rules
