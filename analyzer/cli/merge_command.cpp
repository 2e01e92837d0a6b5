// `ktriage merge`: options, then triage::MergeShards and the summary triage prints.
#include "analyzer/cli/merge_command.h"

#include <unistd.h>

#include <boost/program_options.hpp>
#include <ctime>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "base/output_file.h"
#include "analyzer/history/history_merge.h"
#include "analyzer/triage/merge.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;

struct RawMergeOptions {
  std::vector<std::string> files;
  std::vector<std::string> from_db;
  std::string output;
  std::string db;
  bool help = false;
};

po::options_description VisibleOptions(RawMergeOptions& raw) {
  po::options_description visible("Options", 100, 50);
  visible.add_options()
      ("from-db", po::value(&raw.from_db)->multitoken()->value_name("DB..."),
       "the shards' history databases, one per FILE.jsonl in the same order: 'new' marks, and the results "
       "of inputs a shard's history remembered")
      ("db", po::value(&raw.db)->value_name("OUT.sqlite"),
       "also write one new history database merged from the --from-db ones (for the next unsharded run "
       "or 'ktriage history')")
      ("output,o", po::value(&raw.output)->value_name("OUT.jsonl"), "write every shard's JSON Lines into one file")
      ("help,h", po::bool_switch(&raw.help), "show this help");
  return visible;
}

}  // namespace

std::string MergeHelp() {
  RawMergeOptions raw;
  std::ostringstream s;
  s << "Usage: ktriage merge [OPTIONS] FILE.jsonl...\n"
       "\n"
       "Combines the JSON Lines of 'ktriage triage --shard I/N --output FILE.jsonl' runs into the\n"
       "summary one unsharded run prints over the same inputs (the same text, counts and examples).\n"
       "Without --from-db nothing is marked 'new' (as with 'triage --no-db').\n"
       "\n"
    << VisibleOptions(raw)
    << "\n"
       "Exit status: 0 merged; 1 some shard input had failed, or a file could not be read;\n"
       "2 usage error or a database that cannot be opened.\n"
       "\n"
       "Example:\n"
       "  ktriage merge shard-*.jsonl --output fleet.jsonl\n"
       "  ktriage merge s1.jsonl s2.jsonl --from-db s1.sqlite s2.sqlite --db fleet.sqlite\n"
       "\n"
       "More: docs/scale.md.\n";
  return s.str();
}

int MergeCommand(const std::vector<std::string>& args, const CliContext& context) {
  RawMergeOptions raw;
  if (std::string e = ParseCommandLine(args, VisibleOptions(raw), raw.files); !e.empty()) {
    return UsageError(context, "merge", e);
  }
  if (raw.help) {
    context.out << MergeHelp();
    return kExitOk;
  }
  if (raw.files.empty()) {
    return UsageError(context, "merge", "merge: no FILE.jsonl given");
  }
  if (!raw.db.empty()) {
    if (raw.from_db.empty()) {
      return UsageError(context, "merge", "merge --db needs the shards' databases (--from-db)");
    }
    if (::access(raw.db.c_str(), F_OK) == 0) {
      context.err << "ktriage: " << raw.db << ": exists; merge --db writes a new database\n";
      return kExitUsage;
    }
  }
  std::vector<std::pair<std::string, std::string>> outputs;
  if (!raw.output.empty()) outputs.push_back({"--output", raw.output});
  if (!raw.db.empty()) outputs.push_back({"--db", raw.db});
  std::vector<std::string> inputs = raw.files;
  inputs.insert(inputs.end(), raw.from_db.begin(), raw.from_db.end());
  if (Status distinct = CheckOutputs(outputs, inputs); !distinct) return UsageError(context, "merge", distinct.error().message);
  std::unique_ptr<OutputFile> out;
  triage::MergeOptions options;
  options.jsonl = raw.files;
  options.databases = raw.from_db;
  if (!raw.output.empty()) {
    Result<std::unique_ptr<OutputFile>> created = OutputFile::Create(raw.output);
    if (!created) {
      context.err << "ktriage: " << created.error().message << '\n';
      return kExitInputError;
    }
    out = std::move(*created);
    options.out = &out->stream();
  }
  Result<triage::MergeResult> merged = triage::MergeShards(options);
  if (!merged) {
    context.err << "ktriage: " << merged.error().message << '\n';
    return kExitUsage;
  }
  context.out << triage::FormatSummary(merged->summary);
  context.out.flush();
  for (const std::string& p : merged->problems) context.err << "ktriage: " << p << '\n';
  bool failed = !merged->problems.empty() || merged->summary.failed > 0;
  if (!raw.db.empty()) {
    if (auto s = history::MergeHistories(raw.from_db, raw.db, static_cast<int64_t>(std::time(nullptr))); !s) {
      context.err << "ktriage: " << s.error().message << '\n';
      failed = true;
    }
  }
  if (out) {
    if (Status committed = out->Commit(); !committed) {
      context.err << "ktriage: " << committed.error().message << '\n';
      failed = true;
    }
  }
  return failed ? kExitInputError : kExitOk;
}

}  // namespace ktriage::cli
