// ItemAnalyzer: pipeline::AnalyzeInput with digests, JSON Lines and limits.
#include "analyzer/triage/item_analyzer.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "analyzer/ingest/limited_input.h"
#include "analyzer/pipeline/input_pipeline.h"
#include "analyzer/triage/jsonl_record.h"

namespace ktriage::triage {
namespace {

// Stops reading when Ctrl-C was pressed: an input is dropped rather than finished.
class CancellableSource final : public InputSource {
 public:
  CancellableSource(InputSource& inner, const std::atomic<bool>* cancel) : inner_(inner), cancel_(cancel) {}
  Result<size_t> Read(char* buffer, size_t size) override {
    if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) return Error{inner_.name() + ": interrupted"};
    return inner_.Read(buffer, size);
  }
  const std::string& name() const override { return inner_.name(); }
  std::string_view compression() const override { return inner_.compression(); }

 private:
  InputSource& inner_;
  const std::atomic<bool>* cancel_;
};

// Digests and JSON Lines of one input's reports and findings, as they come.
class OutcomeRecorder {
 public:
  OutcomeRecorder(ItemOutcome& o, const std::string& path_host, bool jsonl, bool keep_reports)
      : o_(o), path_host_(path_host), jsonl_(jsonl), keep_reports_(keep_reports) {}

  pipeline::InputHooks Hooks() {
    pipeline::InputHooks hooks;
    hooks.line = [this](const LogLine& line) {
      if (log_host_.empty() && !line.host.empty()) log_host_ = std::string(line.host);
    };
    hooks.report = [this](const CrashReport& r) {
      const std::string& host = log_host_.empty() ? path_host_ : log_host_;
      o_.digests.AddReport(ReportDigest{r.signature, r.title, ReportKindName(r.kind), host, r.line_start, r.line_end, nullptr},
                           keep_reports_ ? &r : nullptr);
      if (jsonl_) o_.jsonl.Append(ReportLine(LeadingMembers("report", o_.name, host, o_.time), r));
    };
    // A finding of a report evaluated before the end of a long input: recorded as it comes.
    hooks.finding = [this](rules::Finding&& f) {
      Record(f, LeadingMembers("finding", o_.name, log_host_.empty() ? path_host_ : log_host_, o_.time));
    };
    return hooks;
  }

  void Finish(const InputResult& c) {
    o_.host = !c.analysis.system.host.empty() ? c.analysis.system.host : path_host_;
    o_.format = LogFormatName(c.analysis.format);
    if (o_.compression.empty()) o_.compression = c.analysis.compression;
    if (o_.kernel_release.empty()) o_.kernel_release = c.analysis.system.kernel_release;
    o_.bytes = c.analysis.stats.bytes;
    o_.lines = c.analysis.stats.lines;
    const std::string leading = LeadingMembers("finding", o_.name, o_.host, o_.time);
    for (const rules::Finding& f : c.findings) Record(f, leading);
    if (!o_.jsonl.error().empty()) o_.warnings.push_back(o_.name + ": " + o_.jsonl.error());
    if (!o_.digests.error().empty()) o_.warnings.push_back(o_.name + ": " + o_.digests.error());
  }

 private:
  void Record(const rules::Finding& f, const std::string& leading) {
    FindingDigest d{f.rule_id, f.title, f.severity, f.evidence.empty() ? 0 : f.evidence.front().line, f.report, {}};
    for (const rules::EvidenceLine& e : f.evidence) d.evidence.push_back(e.line);
    o_.digests.AddFinding(std::move(d));
    if (jsonl_) o_.jsonl.Append(FindingLine(leading, f));
  }

  ItemOutcome& o_;
  const std::string& path_host_;
  bool jsonl_;
  bool keep_reports_;
  std::string log_host_;
};

}  // namespace

std::unique_ptr<ItemOutcome> ItemAnalyzer::NewOutcome(const WorkItem& meta, const std::string& name) const {
  auto o = std::make_unique<ItemOutcome>();
  o->name = name;
  o->host = meta.path_host;
  o->time = meta.mtime;
  o->kdump = meta.kdump;
  if (options_.jsonl) o->jsonl = SpillBuffer(options_.temp_dir, options_.jsonl_memory_bytes);
  o->digests = DigestLog(options_.temp_dir, options_.digest_memory_bytes, options_.keep_reports, kExampleLines);
  return o;
}

std::unique_ptr<ItemOutcome> ItemAnalyzer::AnalyzeLog(const WorkItem& meta, InputSource& source,
                                                      std::string compression) const {
  auto o = NewOutcome(meta, meta.name);
  o->kind = "log";
  o->compression = std::move(compression);
  OutcomeRecorder recorder(*o, meta.path_host, options_.jsonl, options_.keep_reports);
  CancellableSource cancellable(source, options_.cancel);
  pipeline::Input input;
  input.name = meta.name;
  input.log = &cancellable;
  const InputResult c = pipeline::AnalyzeInput(input, tools_, {}, recorder.Hooks());
  recorder.Finish(c);
  if (!c.errors.empty()) {
    o->status = Cancelled() ? OutcomeStatus::kInterrupted : OutcomeStatus::kFailed;
    o->errors.insert(o->errors.end(), c.errors.begin(), c.errors.end());
  }
  return o;
}

std::unique_ptr<ItemOutcome> ItemAnalyzer::AnalyzeLogFile(const WorkItem& meta, const std::string& path,
                                                          const std::string& name) const {
  Result<std::unique_ptr<InputSource>> source = OpenInputFile(path);
  if (!source) {
    auto o = NewOutcome(meta, name);
    o->status = OutcomeStatus::kFailed;
    o->errors.push_back(source.error().message);
    return o;
  }
  LimitedInput limited(**source, *options_.limits, options_.cancel);
  WorkItem renamed;
  renamed.name = name;
  renamed.path_host = meta.path_host;
  renamed.mtime = meta.mtime;
  renamed.kdump = meta.kdump;
  return AnalyzeLog(renamed, limited, std::string((*source)->compression()));
}

std::unique_ptr<ItemOutcome> ItemAnalyzer::AnalyzeDump(const WorkItem& meta, DumpFileHandle file) const {
  std::vector<DumpFileHandle> files;
  files.push_back(std::move(file));
  Result<std::unique_ptr<pipeline::DumpSession>> dump = pipeline::DumpSession::Open(std::move(files), options_.dump);
  if (!dump) {
    const std::string& message = dump.error().message;
    if (!meta.fallback_log.empty()) {
      auto o = AnalyzeLogFile(meta, meta.fallback_log, meta.fallback_log);
      o->warnings.push_back(message + "; read the kdump dmesg beside it instead (" + meta.fallback_log + ")");
      return o;
    }
    auto o = NewOutcome(meta, meta.name);
    o->kind = "dump";
    o->status = OutcomeStatus::kFailed;
    o->errors.push_back(message);
    return o;
  }
  const VmcoreContents& contents = (*dump)->contents();
  if (!contents.log && !meta.fallback_log.empty()) {
    auto o = AnalyzeLogFile(meta, meta.fallback_log, meta.fallback_log);
    o->warnings.push_back(meta.name + ": the dump's kernel log cannot be read; read the kdump dmesg beside it instead (" +
                          meta.fallback_log + ")");
    return o;
  }
  const VmcoreFacts& facts = contents.facts;
  auto o = NewOutcome(meta, meta.name);
  o->kind = "dump";
  o->dump_log_read = contents.log.has_value();
  if (facts.crash_time) o->time = facts.crash_time;
  o->kernel_release = facts.osrelease;
  o->compression = facts.compression.empty() ? facts.format : facts.format + "/" + facts.compression;
  for (std::string w : facts.warnings) {
    if (w.compare(0, meta.name.size(), meta.name) != 0) w = meta.name + ": " + w;
    o->notes.push_back(std::move(w));
  }
  OutcomeRecorder recorder(*o, meta.path_host, options_.jsonl, options_.keep_reports);
  pipeline::Input input;
  input.name = meta.name;
  input.dump = dump->get();
  const InputResult c = pipeline::AnalyzeInput(input, tools_, {}, recorder.Hooks());
  recorder.Finish(c);
  o->format = "vmcore";
  if (!c.errors.empty()) {
    o->status = OutcomeStatus::kFailed;
    o->errors.insert(o->errors.end(), c.errors.begin(), c.errors.end());
  }
  return o;
}

std::unique_ptr<ItemOutcome> ItemAnalyzer::Analyze(WorkItem& item) const {
  if (Cancelled()) {
    auto o = std::make_unique<ItemOutcome>();
    o->name = item.name;
    o->status = OutcomeStatus::kInterrupted;
    return o;
  }
  switch (item.kind) {
    case ItemKind::kLogFile:
      return AnalyzeLogFile(item, item.path, item.name);
    case ItemKind::kDumpFile:
    case ItemKind::kDumpTemp: {
      // A file on disk is opened here; a dump copied out of an archive is already open.
      ScopedFd fd(item.kind == ItemKind::kDumpFile ? ::open(item.path.c_str(), O_RDONLY | O_CLOEXEC)
                                                   : ::fcntl(item.temp.get(), F_DUPFD_CLOEXEC, 0));
      if (!fd.valid()) {
        const int err = errno;
        auto o = NewOutcome(item, item.name);
        o->kind = "dump";
        o->status = OutcomeStatus::kFailed;
        o->errors.push_back(item.name + ": open: " + std::strerror(err));
        return o;
      }
      return AnalyzeDump(item, DumpFileHandle{item.name, std::move(fd)});
    }
    case ItemKind::kLogBuffer: {
      auto source = MemoryInput(item.buffer.bytes, item.name);
      auto o = AnalyzeLog(item, *source, item.compression);
      if (!item.read_error.empty() && o->status == OutcomeStatus::kAnalysed) {
        o->status = OutcomeStatus::kFailed;
        o->errors.push_back(item.read_error);
      }
      return o;
    }
    default:
      break;
  }
  auto o = std::make_unique<ItemOutcome>();
  o->name = item.name;
  o->status = OutcomeStatus::kFailed;
  o->errors.push_back(item.name + ": internal error: not an analysis item");
  return o;
}

}  // namespace ktriage::triage
