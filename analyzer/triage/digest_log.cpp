// DigestLog: length-prefixed little-endian records in two SpillBuffers, decoded across chunks.
#include "analyzer/triage/digest_log.h"

#include <cstring>

namespace ktriage::triage {
namespace {

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutString(std::string& out, const std::string& s) {
  PutU64(out, s.size());
  out += s;
}

// Reads records out of chunks; a record cut between two chunks waits in `carry`.
class RecordReader {
 public:
  explicit RecordReader(std::string_view data) : data_(data) {}
  bool U64(uint64_t& v) {
    if (data_.size() < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(data_[static_cast<size_t>(i)])) << (8 * i);
    data_.remove_prefix(8);
    return true;
  }
  bool String(std::string& s) {
    uint64_t n = 0;
    if (!U64(n) || data_.size() < n) return false;
    s.assign(data_.substr(0, n));
    data_.remove_prefix(n);
    return true;
  }
  size_t left() const { return data_.size(); }

 private:
  std::string_view data_;
};

// Every record in `log`, each a length-prefixed payload decoded by `decode`.
Status ForEachRecord(const SpillBuffer& log, const std::function<void(RecordReader&)>& decode) {
  std::string carry;
  return log.ForEachChunk([&](std::string_view chunk) {
    carry.append(chunk);
    size_t at = 0;
    while (carry.size() - at >= 8) {
      RecordReader head(std::string_view(carry).substr(at, 8));
      uint64_t n = 0;
      head.U64(n);
      if (carry.size() - at - 8 < n) break;
      RecordReader payload(std::string_view(carry).substr(at + 8, n));
      decode(payload);
      at += 8 + n;
    }
    carry.erase(0, at);
  });
}

void AppendRecord(SpillBuffer& log, const std::string& payload) {
  std::string record;
  PutU64(record, payload.size());
  record += payload;
  log.Append(record);
}

}  // namespace

DigestLog::DigestLog(std::string temp_dir, size_t memory_limit, bool keep_examples, size_t example_lines)
    : report_log_(temp_dir, memory_limit), finding_log_(temp_dir, memory_limit), keep_examples_(keep_examples),
      example_lines_(example_lines) {}

void DigestLog::AddReport(ReportDigest digest, const CrashReport* report) {
  const size_t index = reports_++;
  if (keep_examples_ && report != nullptr) {
    auto kept = std::make_shared<CrashReport>(*report);
    if (kept->text.size() > example_lines_) kept->text.resize(example_lines_);
    if (signatures_with_example_.insert(digest.signature).second) examples_[index] = kept;
    recent_[index] = std::move(kept);
    if (recent_.size() > kRecentExamples) recent_.erase(recent_.begin());
  }
  std::string payload;
  PutString(payload, digest.signature);
  PutString(payload, digest.title);
  PutString(payload, digest.kind);
  PutString(payload, digest.host);
  PutU64(payload, digest.line);
  PutU64(payload, digest.line_end);
  AppendRecord(report_log_, payload);
}

void DigestLog::AddFinding(FindingDigest digest) {
  ++findings_;
  if (keep_examples_ && digest.report && rules_with_example_.insert(digest.rule).second) {
    if (auto it = recent_.find(*digest.report); it != recent_.end()) examples_[*digest.report] = it->second;
  }
  std::string payload;
  PutString(payload, digest.rule);
  PutString(payload, digest.title);
  PutString(payload, digest.severity);
  PutU64(payload, digest.line);
  PutU64(payload, digest.report ? *digest.report + 1 : 0);
  PutU64(payload, digest.evidence.size());
  for (uint64_t line : digest.evidence) PutU64(payload, line);
  AppendRecord(finding_log_, payload);
}

Status DigestLog::ForEachReport(const std::function<void(size_t, ReportDigest&&)>& f) const {
  size_t index = 0;
  return ForEachRecord(report_log_, [&](RecordReader& in) {
    ReportDigest d;
    in.String(d.signature);
    in.String(d.title);
    in.String(d.kind);
    in.String(d.host);
    in.U64(d.line);
    in.U64(d.line_end);
    d.report = Example(index);
    f(index++, std::move(d));
  });
}

Status DigestLog::ForEachFinding(const std::function<void(FindingDigest&&)>& f) const {
  return ForEachRecord(finding_log_, [&](RecordReader& in) {
    FindingDigest d;
    in.String(d.rule);
    in.String(d.title);
    in.String(d.severity);
    in.U64(d.line);
    uint64_t report = 0, n = 0;
    in.U64(report);
    if (report > 0) d.report = static_cast<size_t>(report - 1);
    in.U64(n);
    for (uint64_t i = 0; i < n && in.left() >= 8; ++i) in.U64(d.evidence.emplace_back());
    f(std::move(d));
  });
}

std::shared_ptr<CrashReport> DigestLog::Example(size_t report) const {
  if (auto it = examples_.find(report); it != examples_.end()) return it->second;
  if (auto it = recent_.find(report); it != recent_.end()) return it->second;
  return nullptr;
}

std::string DigestLog::error() const {
  return !report_log_.error().empty() ? report_log_.error() : finding_log_.error();
}

}  // namespace ktriage::triage
