// ItemAnalyzer: turns one work item (a log file, a member in memory or streaming, a dump) into an
// ItemOutcome: digests of its reports and findings for the summary and the history, and its JSON
// Lines. Shared by the workers and the walking thread; const, so any number of threads use one.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "analyzer/ingest/input_source.h"
#include "analyzer/pipeline/dump_session.h"
#include "analyzer/pipeline/input_pipeline.h"
#include "analyzer/vmcore/dump_file.h"
#include "analyzer/ingest/input_limits.h"
#include "analyzer/triage/work_item.h"

namespace ktriage::triage {

struct ItemAnalyzerOptions {
  const InputLimits* limits = nullptr;
  std::string temp_dir = "/tmp";
  bool jsonl = false;                        // render JSON Lines
  bool keep_reports = false;                 // keep each report (cut to kExampleLines) for examples
  size_t jsonl_memory_bytes = 256 * 1024;    // per input, before they go to a temp file
  size_t digest_memory_bytes = 256 * 1024;   // the same for the digests of its reports and findings
  const std::atomic<bool>* cancel = nullptr;
  pipeline::DumpSessionOptions dump;         // how dumps are read (the reader program, temp dir)
};

class ItemAnalyzer {
 public:
  ItemAnalyzer(ItemAnalyzerOptions options, pipeline::Tools tools)
      : options_(std::move(options)), tools_(std::move(tools)) {}

  // kLogFile, kDumpFile, kLogBuffer, kDumpTemp.
  std::unique_ptr<ItemOutcome> Analyze(WorkItem& item) const;
  // A log read from `source` (a member streaming out of an archive); `meta` names it.
  std::unique_ptr<ItemOutcome> AnalyzeLog(const WorkItem& meta, InputSource& source, std::string compression) const;

 private:
  std::unique_ptr<ItemOutcome> AnalyzeLogFile(const WorkItem& meta, const std::string& path, const std::string& name) const;
  std::unique_ptr<ItemOutcome> AnalyzeDump(const WorkItem& meta, DumpFileHandle file) const;
  std::unique_ptr<ItemOutcome> NewOutcome(const WorkItem& meta, const std::string& name) const;
  bool Cancelled() const { return options_.cancel != nullptr && options_.cancel->load(std::memory_order_relaxed); }

  ItemAnalyzerOptions options_;
  pipeline::Tools tools_;
};

}  // namespace ktriage::triage
