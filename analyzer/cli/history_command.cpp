// `ktriage history`: options, then history::HistoryQuery, printed as text or JSON.
#include "analyzer/cli/history_command.h"

#include <boost/program_options.hpp>
#include <charconv>
#include <filesystem>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/cli/triage_command.h"
#include "analyzer/history/history_output.h"
#include "analyzer/history/history_query.h"
#include "base/utc_time.h"

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
  if (std::string e = ParseCommandLine(args, VisibleOptions(raw), raw.words); !e.empty()) return UsageError(context, "history", e);
  if (raw.help) {
    context.out << HistoryHelp();
    return kExitOk;
  }
  if (raw.format != "text" && raw.format != "json") return UsageError(context, "history", "invalid --format '" + raw.format + "' (text or json)");
  if (raw.words.empty()) return UsageError(context, "history", "history: say what to show: top [N], new --since DATE or signature SIG");
  const std::string what = raw.words[0];
  size_t top = 10;
  int64_t since = 0;
  if (what == "top") {
    if (raw.words.size() > 2) return UsageError(context, "history", "history top takes one number");
    if (raw.words.size() == 2) {
      const std::string& n = raw.words[1];
      auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), top);
      if (ec != std::errc() || p != n.data() + n.size() || top == 0) return UsageError(context, "history", "invalid number '" + n + "'");
    }
  } else if (what == "new") {
    if (raw.words.size() != 1) return UsageError(context, "history", "history new takes no argument but --since DATE");
    if (raw.since.empty()) return UsageError(context, "history", "history new needs --since DATE");
    Result<int64_t> t = history::ParseSince(raw.since);
    if (!t) return UsageError(context, "history", t.error().message);
    since = *t;
  } else if (what == "signature") {
    if (raw.words.size() != 2) return UsageError(context, "history", "history signature takes one signature");
  } else {
    return UsageError(context, "history", "history: unknown request '" + what + "' (top, new or signature)");
  }
  if (what != "new" && !raw.since.empty()) return UsageError(context, "history", "--since goes with 'history new'");

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
    history::WriteSignature(context.out, *f, json);
    return kExitOk;
  }
  Result<std::vector<history::SignatureFacts>> rows = what == "top" ? (*q)->Top(top) : (*q)->NewSince(since);
  if (!rows) {
    context.err << "ktriage: " << rows.error().message << '\n';
    return kExitInputError;
  }
  const std::string heading = what == "top" ? "Top " + std::to_string(rows->size()) + " signatures by count:\n"
                                            : std::to_string(rows->size()) + " signatures first seen since " +
                                                  FormatTime(since) + ":\n";
  history::WriteSignatures(context.out, *rows, heading, json);
  return kExitOk;
}

}  // namespace ktriage::cli
