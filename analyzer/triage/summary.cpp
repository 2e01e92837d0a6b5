// SummaryBuilder and FormatSummary.
#include "analyzer/triage/summary.h"

#include <algorithm>
#include <ctime>

namespace ktriage::triage {
namespace {

void Widen(std::optional<int64_t>& first, std::optional<int64_t>& last, const std::optional<int64_t>& t) {
  if (!t) return;
  if (!first || *t < *first) first = t;
  if (!last || *t > *last) last = t;
}

template <typename Examples>
void Example(Examples& examples, const std::string& key, const Sighting& s) {
  auto [it, inserted] = examples.try_emplace(key, typename Examples::mapped_type{s.input, s.line, s.report});
  if (!inserted && std::make_pair(s.input, s.line) < std::make_pair(it->second.input, it->second.line))
    it->second = {s.input, s.line, s.report};
}

std::string Hosts(const std::set<std::string>& hosts) {
  std::vector<std::string> named;
  for (const std::string& h : hosts) {
    if (!h.empty()) named.push_back(h);
  }
  if (named.empty()) return ": unknown";
  constexpr size_t kShown = 5;
  std::string out = " (" + std::to_string(named.size()) + "): ";
  for (size_t i = 0; i < named.size() && i < kShown; ++i) out += (i ? ", " : "") + named[i];
  if (named.size() > kShown) out += " (+" + std::to_string(named.size() - kShown) + " more)";
  const size_t unnamed = hosts.size() - named.size();
  if (unnamed > 0) out += " and inputs with no host";
  return out;
}

std::string Seen(const std::optional<int64_t>& first, const std::optional<int64_t>& last) {
  if (!first) return "";
  if (*first == *last) return "; seen " + FormatTime(*first);
  return "; first seen " + FormatTime(*first) + ", last seen " + FormatTime(*last);
}

}  // namespace

void SummaryBuilder::Add(const Sighting& s) {
  if (s.rule) {
    ProblemRow& row = known_[s.key];
    if (row.count == 0) {
      row.rule = s.key;
      row.title = s.title;
      row.severity = s.detail;
    }
    ++row.count;
    row.hosts.insert(s.host);
    Widen(row.first_seen, row.last_seen, s.time);
    Example(examples_, "r:" + s.key, s);
  } else {
    SignatureRow& row = unknown_[s.key];
    if (row.count == 0) {
      row.signature = s.key;
      row.title = s.title;
      row.kind = s.detail;
    }
    ++row.count;
    row.hosts.insert(s.host);
    row.is_new = row.is_new || s.is_new;
    Widen(row.first_seen, row.last_seen, s.time);
    Example(examples_, "s:" + s.key, s);
  }
}

void SummaryBuilder::CountCrash(const Sighting& report) {
  ++summary_.crashes_per_day[report.time ? FormatDay(*report.time) : ""][report.detail];
}

TriageSummary SummaryBuilder::Finish() {
  TriageSummary out = std::move(summary_);
  for (auto& [key, row] : known_) {
    const ExampleRef& ex = examples_["r:" + key];
    row.example = ex.input + ":" + std::to_string(ex.line);
    row.example_report = ex.report;
    out.known.push_back(std::move(row));
  }
  for (auto& [key, row] : unknown_) {
    const ExampleRef& ex = examples_["s:" + key];
    row.example = ex.input + ":" + std::to_string(ex.line);
    row.example_report = ex.report;
    out.unknown.push_back(std::move(row));
  }
  // Stable sorts over key-ordered maps: ties stay in key order.
  std::stable_sort(out.known.begin(), out.known.end(), [](const ProblemRow& a, const ProblemRow& b) { return a.count > b.count; });
  std::stable_sort(out.unknown.begin(), out.unknown.end(),
                   [](const SignatureRow& a, const SignatureRow& b) { return a.count > b.count; });
  known_.clear();
  unknown_.clear();
  examples_.clear();
  summary_ = TriageSummary{};
  return out;
}

std::string FormatSummary(const TriageSummary& s) {
  std::string out;
  out += "Inputs: " + std::to_string(s.logs) + " logs and " + std::to_string(s.dumps) + " crash dumps analysed";
  if (s.failed > 0) out += ", " + std::to_string(s.failed) + " failed";
  out += "\n";
  if (!s.skipped.empty()) {
    uint64_t total = 0;
    std::string reasons;
    for (const auto& [reason, n] : s.skipped) {
      total += n;
      reasons += (reasons.empty() ? "" : ", ") + std::to_string(n) + " " + reason;
    }
    out += "Skipped: " + std::to_string(total) + " files (" + reasons + ")\n";
  }
  if (s.superseded > 0) {
    out += "kdump: " + std::to_string(s.superseded) + " dmesg files not counted again (the dump beside each was read)\n";
  }
  if (s.from_history > 0) {
    out += "History: " + std::to_string(s.from_history) +
           " inputs unchanged since an earlier run, their results counted from the database (--rescan reads them again)\n";
  }
  if (s.interrupted) out += "Interrupted: the results below cover what was read before Ctrl-C\n";

  uint64_t findings = 0;
  for (const ProblemRow& r : s.known) findings += r.count;
  out += "\nKnown problems: " + std::to_string(s.known.size()) + " rules, " + std::to_string(findings) + " findings\n";
  for (const ProblemRow& r : s.known) {
    out += "  " + std::to_string(r.count) + " x " + r.rule + " [" + r.severity + "] " + r.title + "\n";
    out += "      hosts" + Hosts(r.hosts) + Seen(r.first_seen, r.last_seen) + "\n";
    out += "      example: " + r.example + "\n";
  }
  uint64_t reports = 0;
  for (const SignatureRow& r : s.unknown) reports += r.count;
  out += "\nUnknown crashes (no rule): " + std::to_string(s.unknown.size()) + " signatures, " + std::to_string(reports) +
         " reports\n";
  for (const SignatureRow& r : s.unknown) {
    out += "  " + std::to_string(r.count) + " x " + r.title + " [" + r.kind + "]" + (r.is_new ? " new" : "") + "\n";
    out += "      signature " + r.signature + "; hosts" + Hosts(r.hosts) + Seen(r.first_seen, r.last_seen) + "\n";
    out += "      example: " + r.example + "\n";
  }
  return out;
}

}  // namespace ktriage::triage
