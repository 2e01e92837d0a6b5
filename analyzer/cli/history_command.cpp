// `ktriage history`: options, then history::HistoryQuery, printed as text or JSON.
#include "analyzer/cli/history_command.h"

#include <boost/program_options.hpp>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/cli/triage_command.h"
#include "analyzer/history/history_query.h"
#include "analyzer/triage/summary.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;

struct RawHistoryOptions {
  std::vector<std::string> words;  // top [N] | new | signature SIG
  std::string db;
  std::string since;
  std::string format = "text";
  bool help = false;
};

po::options_description VisibleOptions(RawHistoryOptions& raw) {
  po::options_description visible("Options", 100, 50);
  visible.add_options()
      ("db", po::value(&raw.db)->value_name("FILE"),
       "the history database; default: ${XDG_DATA_HOME:-~/.local/share}/ktriage/history.sqlite")
      ("since", po::value(&raw.since)->value_name("DATE"),
       "for 'new': YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ (UTC) or seconds since the epoch")
      ("format", po::value(&raw.format)->value_name("text|json"), "output format; default text")
      ("help,h", po::bool_switch(&raw.help), "show this help");
  return visible;
}

std::string HostList(const history::SignatureFacts& f, size_t shown) {
  if (f.hosts.empty()) return "unknown";
  std::string out;
  for (size_t i = 0; i < f.hosts.size() && i < shown; ++i) {
    out += (i ? ", " : "") + f.hosts[i].first + " (" + std::to_string(f.hosts[i].second) + ")";
  }
  if (f.hosts.size() > shown) out += " (+" + std::to_string(f.hosts.size() - shown) + " more)";
  return out;
}

std::string Text(const history::SignatureFacts& f, bool detailed) {
  std::string out = "  " + std::to_string(f.count) + " x " + f.title + " [" + f.kind + "]\n";
  out += "      signature " + f.signature + "; first seen " + triage::FormatTime(f.first_seen) + ", last seen " +
         triage::FormatTime(f.last_seen) + "\n";
  out += f.hosts.empty() ? std::string("      hosts: unknown\n")
                         : "      hosts (" + std::to_string(f.hosts.size()) + "): " + HostList(f, detailed ? f.hosts.size() : 5) + "\n";
  for (const std::string& e : f.examples) out += "      example: " + e + "\n";
  return out;
}

nlohmann::ordered_json Json(const history::SignatureFacts& f) {
  nlohmann::ordered_json j;
  j["signature"] = f.signature;
  j["title"] = f.title;
  j["kind"] = f.kind;
  j["count"] = f.count;
  j["first_seen"] = f.first_seen;
  j["last_seen"] = f.last_seen;
  nlohmann::ordered_json hosts = nlohmann::ordered_json::array();
  for (const auto& [host, n] : f.hosts) hosts.push_back({{"host", host}, {"count", n}});
  j["hosts"] = std::move(hosts);
  j["examples"] = f.examples;
  return j;
}

int Usage(const CliContext& context, const std::string& message) {
  context.err << "ktriage: " << message << "\nTry 'ktriage history --help'.\n";
  return kExitUsage;
}

}  // namespace

std::string HistoryHelp() {
  RawHistoryOptions raw;
  std::ostringstream s;
  s << "Usage: ktriage history [OPTIONS] top [N]\n"
       "       ktriage history [OPTIONS] new --since DATE\n"
       "       ktriage history [OPTIONS] signature SIG\n"
       "\n"
       "What 'ktriage triage' runs remembered: the N crash signatures seen most often (default 10) with\n"
       "their hosts; the signatures first seen at or after DATE; one signature's hosts (with counts)\n"
       "and example inputs. Counts include reports a rule recognised.\n"
       "\n"
    << VisibleOptions(raw)
    << "\n"
       "Exit status: 0 shown; 1 no such signature; 2 usage error, or no readable history.\n"
       "\n"
       "Examples:\n"
       "  ktriage history top 20\n"
       "  ktriage history --db fleet.sqlite new --since 2026-11-01\n"
       "  ktriage history signature 3f2a9c0d1e4b5a67 --format json\n";
  return s.str();
}

int HistoryCommand(const std::vector<std::string>& args, const CliContext& context) {
  RawHistoryOptions raw;
  if (std::string e = ParseCommandLine(args, VisibleOptions(raw), raw.words); !e.empty()) return Usage(context, e);
  if (raw.help) {
    context.out << HistoryHelp();
    return kExitOk;
  }
  if (raw.format != "text" && raw.format != "json") return Usage(context, "invalid --format '" + raw.format + "' (text or json)");
  if (raw.words.empty()) return Usage(context, "history: say what to show: top [N], new --since DATE or signature SIG");
  const std::string what = raw.words[0];
  size_t top = 10;
  int64_t since = 0;
  if (what == "top") {
    if (raw.words.size() > 2) return Usage(context, "history top takes one number");
    if (raw.words.size() == 2) {
      const std::string& n = raw.words[1];
      auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), top);
      if (ec != std::errc() || p != n.data() + n.size() || top == 0) return Usage(context, "invalid number '" + n + "'");
    }
  } else if (what == "new") {
    if (raw.words.size() != 1) return Usage(context, "history new takes no argument but --since DATE");
    if (raw.since.empty()) return Usage(context, "history new needs --since DATE");
    Result<int64_t> t = history::ParseSince(raw.since);
    if (!t) return Usage(context, t.error().message);
    since = *t;
  } else if (what == "signature") {
    if (raw.words.size() != 2) return Usage(context, "history signature takes one signature");
  } else {
    return Usage(context, "history: unknown request '" + what + "' (top, new or signature)");
  }
  if (what != "new" && !raw.since.empty()) return Usage(context, "--since goes with 'history new'");

  std::string db = raw.db;
  if (db.empty()) {
    Result<std::string> path = history::DefaultHistoryPath(context.data_dir);
    if (!path) {
      context.err << "ktriage: " << path.error().message << '\n';
      return kExitUsage;
    }
    db = *path;
  }
  std::error_code ec;
  if (!std::filesystem::exists(db, ec)) {
    context.err << "ktriage: " << db << ": no history there (run 'ktriage triage' first, or give --db FILE)\n";
    return kExitUsage;
  }
  Result<std::unique_ptr<history::HistoryQuery>> q = history::HistoryQuery::Open(db);
  if (!q) {
    context.err << "ktriage: " << q.error().message << '\n';
    return kExitUsage;
  }
  const bool json = raw.format == "json";
  if (what == "signature") {
    Result<history::SignatureFacts> f = (*q)->Signature(raw.words[1]);
    if (!f) {
      context.err << "ktriage: " << f.error().message << '\n';
      return kExitInputError;
    }
    if (f->signature.empty()) {
      context.err << "ktriage: no signature " << raw.words[1] << " in " << db << '\n';
      return kExitInputError;
    }
    if (json) {
      context.out << Json(*f).dump(2) << '\n';
    } else {
      context.out << "Signature " << f->signature << ":\n" << Text(*f, true);
    }
    return kExitOk;
  }
  Result<std::vector<history::SignatureFacts>> rows = what == "top" ? (*q)->Top(top) : (*q)->NewSince(since);
  if (!rows) {
    context.err << "ktriage: " << rows.error().message << '\n';
    return kExitInputError;
  }
  if (json) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const history::SignatureFacts& f : *rows) a.push_back(Json(f));
    context.out << a.dump(2) << '\n';
    return kExitOk;
  }
  if (what == "top") {
    context.out << "Top " << rows->size() << " signatures by count:\n";
  } else {
    context.out << rows->size() << " signatures first seen since " << triage::FormatTime(since) << ":\n";
  }
  for (const history::SignatureFacts& f : *rows) context.out << Text(f, false);
  return kExitOk;
}

}  // namespace ktriage::cli
