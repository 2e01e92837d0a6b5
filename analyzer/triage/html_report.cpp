// FormatHtmlReport: tables and examples as HTML, the chart as inline SVG drawn here, so that the
// file renders the same in any browser, offline, with scripts disabled.
#include "analyzer/triage/html_report.h"

#include <algorithm>
#include <map>
#include <set>

#include "analyzer/output/output_format.h"
#include "base/text.h"

namespace ktriage::triage {
namespace {

std::string Escape(std::string_view raw) {
  const std::string text = SanitizeUtf8(raw);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control bytes would make the page invalid; a log may hold any.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') out += "&#xFFFD;";
        else out += c;
    }
  }
  return out;
}

std::string Hosts(const std::set<std::string>& hosts) {
  std::vector<std::string> named;
  for (const std::string& h : hosts) {
    if (!h.empty()) named.push_back(h);
  }
  if (named.empty()) return "<span class=dim>unknown</span>";
  constexpr size_t kShown = 5;
  std::string out = std::to_string(named.size()) + ": ";
  for (size_t i = 0; i < named.size() && i < kShown; ++i) out += (i ? ", " : "") + Escape(named[i]);
  if (named.size() > kShown) out += " (+" + std::to_string(named.size() - kShown) + " more)";
  return out;
}

std::string Seen(const std::optional<int64_t>& first, const std::optional<int64_t>& last) {
  if (!first) return "<span class=dim>unknown</span>";
  if (*first == *last) return FormatTime(*first);
  return FormatTime(*first) + "<br>" + FormatTime(*last);
}

// A colour per kind, in kind order, so that a kind keeps its colour between runs over similar data.
const char* const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                                "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1f77b4", "#8c564b"};

std::string Chart(const TriageSummary& s) {
  if (s.crashes_per_day.empty()) return "<p class=dim>No crash reports.</p>\n";
  std::set<std::string> kind_set;
  uint64_t peak = 0;
  for (const auto& [day, kinds] : s.crashes_per_day) {
    uint64_t total = 0;
    for (const auto& [kind, n] : kinds) {
      kind_set.insert(kind);
      total += n;
    }
    peak = std::max(peak, total);
  }
  std::map<std::string, const char*> colour;
  size_t next = 0;
  for (const std::string& k : kind_set) colour[k] = kPalette[next++ % std::size(kPalette)];

  // Dated days in order, then the reports with no known time.
  std::vector<std::string> days;
  for (const auto& [day, kinds] : s.crashes_per_day) {
    if (!day.empty()) days.push_back(day);
  }
  if (s.crashes_per_day.count("")) days.push_back("");

  constexpr int kBar = 22, kGap = 8, kLeft = 48, kTop = 12, kPlot = 200, kLabels = 70;
  const int width = kLeft + static_cast<int>(days.size()) * (kBar + kGap) + kGap;
  const int height = kTop + kPlot + kLabels;
  std::string svg = "<svg class=chart xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) +
                    "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
                    std::to_string(height) + "\" role=img aria-label=\"crash reports per day by kind\">\n";
  auto y_of = [&](uint64_t v) { return kTop + kPlot - static_cast<int>(v * kPlot / peak); };
  for (uint64_t tick : {uint64_t{0}, (peak + 1) / 2, peak}) {
    const std::string y = std::to_string(y_of(tick));
    svg += "<line x1=\"" + std::to_string(kLeft - 4) + "\" x2=\"" + std::to_string(width) + "\" y1=\"" + y +
           "\" y2=\"" + y + "\" class=grid />\n";
    svg += "<text x=\"" + std::to_string(kLeft - 8) + "\" y=\"" + std::to_string(y_of(tick) + 4) +
           "\" text-anchor=end>" + std::to_string(tick) + "</text>\n";
  }
  for (size_t i = 0; i < days.size(); ++i) {
    const int x = kLeft + kGap + static_cast<int>(i) * (kBar + kGap);
    const std::string label = days[i].empty() ? "no date" : days[i];
    uint64_t below = 0;
    for (const auto& [kind, n] : s.crashes_per_day.at(days[i])) {
      const int y0 = y_of(below), y1 = y_of(below + n);
      svg += "<rect class=bar x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y1) + "\" width=\"" +
             std::to_string(kBar) + "\" height=\"" + std::to_string(std::max(1, y0 - y1)) + "\" fill=\"" +
             colour[kind] + "\" data-day=\"" + Escape(label) + "\" data-kind=\"" + Escape(kind) + "\" data-count=\"" +
             std::to_string(n) + "\"><title>" + Escape(label) + ": " + std::to_string(n) + " " + Escape(kind) +
             "</title></rect>\n";
      below += n;
    }
    const std::string lx = std::to_string(x + kBar / 2), ly = std::to_string(kTop + kPlot + 12);
    svg += "<text x=\"" + lx + "\" y=\"" + ly + "\" transform=\"rotate(-40 " + lx + " " + ly +
           ")\" text-anchor=end>" + Escape(label) + "</text>\n";
  }
  svg += "</svg>\n<ul class=legend>";
  for (const auto& [kind, c] : colour) {
    svg += "<li><span class=swatch style=\"background:" + std::string(c) + "\"></span>" + Escape(kind) + "</li>";
  }
  svg += "</ul>\n";
  return svg;
}

std::string Frames(const std::vector<Frame>& frames) {
  if (frames.empty()) return "";
  std::string out = "<table class=frames><thead><tr><th>frame</th><th>source</th></tr></thead><tbody>\n";
  for (const Frame& f : frames) {
    std::string name = Escape(output_internal::FrameString(f));
    if (!f.reliable) name = "<span class=dim>? " + name + "</span>";
    if (f.is_ip) name += " <span class=tag>ip</span>";
    std::string source = Escape(f.source);
    if (f.printed_inline) source += " <span class=dim>(inlined)</span>";
    if (f.symbolized) source += " <span class=tag>debuginfo</span>";
    out += "<tr><td>" + name + "</td><td>" + source + "</td></tr>\n";
    for (const InlinedCall& call : f.inlined) {
      out += "<tr class=inlined><td>inlined " + Escape(call.function) + "</td><td>" + Escape(call.source) +
             "</td></tr>\n";
    }
  }
  return out + "</tbody></table>\n";
}

std::string Example(const std::string& id, const std::string& heading, const std::string& where,
                    const std::shared_ptr<CrashReport>& report, const char* why_no_report) {
  std::string out = "<section class=example id=\"" + id + "\">\n<h3>" + Escape(heading) + "</h3>\n<p>" +
                    Escape(where);
  if (!report) return out + "</p>\n<p class=dim>" + why_no_report + "</p>\n</section>\n";
  if (!report->kernel_release.empty()) out += " &middot; kernel " + Escape(report->kernel_release);
  if (!report->title.empty() && report->title != heading) out += " &middot; " + Escape(report->title);
  out += "</p>\n" + Frames(report->frames);
  std::string text;
  for (const std::string& line : report->text) text += line + "\n";
  if (report->line_end > report->line_start && report->text.size() == kExampleLines) text += "...\n";
  out += "<pre>" + Escape(text) + "</pre>\n</section>\n";
  return out;
}

constexpr const char* kStyle = R"(body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}h3{font-size:1em;margin-bottom:.2em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right}.dim{color:#777}.new{color:#b00;font-weight:bold}
.tag{font-size:.8em;background:#eef;border-radius:3px;padding:0 .3em}
pre{background:#f8f8f8;border:1px solid #ddd;padding:.5em;overflow-x:auto;font-size:12px}
table.frames td{font-family:monospace;font-size:12px}tr.inlined td{color:#555;padding-left:2em}
svg.chart text{font-size:11px;fill:#444}svg.chart line.grid{stroke:#ddd}
ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1em}
.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}
section.example{border-top:1px solid #ddd;margin-top:1em})";

}  // namespace

std::string FormatHtmlReport(const TriageSummary& s, const HtmlReportInfo& info) {
  std::string out = "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n<title>ktriage triage report</title>\n";
  out += "<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n<h1>ktriage triage report</h1>\n<p>";
  std::string inputs;
  for (size_t i = 0; i < info.inputs.size(); ++i) inputs += (i ? ", " : "") + info.inputs[i];
  out += "Inputs: " + Escape(inputs) + "<br>\n" + std::to_string(s.logs) + " logs and " + std::to_string(s.dumps) +
         " crash dumps analysed";
  if (s.failed > 0) out += ", <b>" + std::to_string(s.failed) + " failed</b>";
  uint64_t skipped = 0;
  for (const auto& [reason, n] : s.skipped) skipped += n;
  if (skipped > 0) out += ", " + std::to_string(skipped) + " files skipped";
  if (s.superseded > 0) out += ", " + std::to_string(s.superseded) + " kdump dmesg files counted with their dumps";
  if (s.from_history > 0) out += ", " + std::to_string(s.from_history) + " inputs unchanged since an earlier run";
  out += ".";
  if (s.interrupted) out += "<br>\n<b>Interrupted: this covers what was read before Ctrl-C.</b>";
  out += "</p>\n";

  out += "<h2>Crash reports per day</h2>\n" + Chart(s);

  uint64_t findings = 0;
  for (const ProblemRow& r : s.known) findings += r.count;
  out += "<h2 id=known>Known problems: " + std::to_string(s.known.size()) + " rules, " + std::to_string(findings) +
         " findings</h2>\n";
  std::string examples;
  if (!s.known.empty()) {
    out += "<table class=known><thead><tr><th>count</th><th>rule</th><th>severity</th><th>title</th><th>hosts</th>"
           "<th>first / last seen</th><th>example</th></tr></thead><tbody>\n";
    for (size_t i = 0; i < s.known.size(); ++i) {
      const ProblemRow& r = s.known[i];
      const std::string id = "k" + std::to_string(i + 1);
      out += "<tr><td class=n>" + std::to_string(r.count) + "</td><td>" + Escape(r.rule) + "</td><td>" +
             Escape(r.severity) + "</td><td>" + Escape(r.title) + "</td><td>" + Hosts(r.hosts) + "</td><td>" +
             Seen(r.first_seen, r.last_seen) + "</td><td><a href=\"#" + id + "\">" + Escape(r.example) + "</a></td></tr>\n";
      examples += Example(id, r.rule + ": " + r.title, r.example, r.example_report,
                          "No report text: a finding about the whole log, or an input remembered from an earlier run.");
    }
    out += "</tbody></table>\n";
  }
  uint64_t reports = 0;
  for (const SignatureRow& r : s.unknown) reports += r.count;
  out += "<h2 id=unknown>Unknown crashes (no rule): " + std::to_string(s.unknown.size()) + " signatures, " +
         std::to_string(reports) + " reports</h2>\n";
  if (!s.unknown.empty()) {
    out += "<table class=unknown><thead><tr><th>count</th><th>title</th><th>kind</th><th>signature</th><th>hosts</th>"
           "<th>first / last seen</th><th>example</th></tr></thead><tbody>\n";
    for (size_t i = 0; i < s.unknown.size(); ++i) {
      const SignatureRow& r = s.unknown[i];
      const std::string id = "u" + std::to_string(i + 1);
      out += "<tr><td class=n>" + std::to_string(r.count) + "</td><td>" + Escape(r.title) +
             (r.is_new ? " <span class=new>new</span>" : "") + "</td><td>" + Escape(r.kind) + "</td><td><code>" +
             Escape(r.signature) + "</code></td><td>" + Hosts(r.hosts) + "</td><td>" + Seen(r.first_seen, r.last_seen) +
             "</td><td><a href=\"#" + id + "\">" + Escape(r.example) + "</a></td></tr>\n";
      examples += Example(id, r.title, r.example, r.example_report,
                          "No report text: an input remembered from an earlier run (--rescan reads it again).");
    }
    out += "</tbody></table>\n";
  }
  if (!examples.empty()) out += "<h2 id=examples>Examples</h2>\n" + examples;
  out += "<p class=dim>ktriage " + Escape(info.version) + "</p>\n</body>\n</html>\n";
  return out;
}

void SymbolizeExamples(TriageSummary& summary, ReportSymbolizer& symbolizer) {
  std::set<CrashReport*> done;
  auto annotate = [&](const std::shared_ptr<CrashReport>& report) {
    if (report && done.insert(report.get()).second) symbolizer.Annotate(*report);
  };
  for (const ProblemRow& r : summary.known) annotate(r.example_report);
  for (const SignatureRow& r : summary.unknown) annotate(r.example_report);
}

}  // namespace ktriage::triage
