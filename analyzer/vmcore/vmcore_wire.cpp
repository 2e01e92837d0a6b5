// Encoding of VmcoreContents: each field in declaration order, integers as 8 little-endian bytes,
// strings and vectors with their length first. Simple on purpose: both ends are this binary.
#include "analyzer/vmcore/vmcore_wire.h"

#include <cstdint>
#include <optional>

namespace ktriage {
namespace {

// Guards against a truncated or garbled stream allocating without bound.
constexpr uint64_t kMaxCount = uint64_t{1} << 32;

class Writer {
 public:
  void Put(uint64_t v) {
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(v >> (8 * i));
    out_.append(bytes, 8);
  }
  void Put(int64_t v) { Put(static_cast<uint64_t>(v)); }
  void Put(bool v) { Put(uint64_t{v}); }
  void Put(const std::string& s) {
    Put(uint64_t{s.size()});
    out_ += s;
  }
  template <typename T>
  void Put(const std::optional<T>& v) {
    Put(v.has_value());
    if (v) Put(static_cast<int64_t>(*v));
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return in_.empty(); }

  uint64_t U64() {
    if (in_.size() < 8) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<unsigned char>(in_[i])} << (8 * i);
    in_.remove_prefix(8);
    return v;
  }
  int64_t I64() { return static_cast<int64_t>(U64()); }
  bool Bool() { return U64() != 0; }
  std::string String() {
    const uint64_t n = U64();
    if (n > in_.size()) return Fail(), std::string();
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  template <typename T>
  std::optional<T> Optional() {
    if (!Bool()) return std::nullopt;
    return static_cast<T>(I64());
  }
  uint64_t Count() {
    const uint64_t n = U64();
    // Every element takes at least 8 bytes: a count beyond that is garbage.
    if (n > kMaxCount || n > in_.size() / 8) return Fail();
    return n;
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }
  std::string_view in_;
  bool ok_ = true;
};

void PutFacts(Writer& w, const VmcoreFacts& f) {
  w.Put(f.format);
  w.Put(f.compression);
  w.Put(f.arch);
  w.Put(f.arch_derived);
  w.Put(f.osrelease);
  w.Put(f.build_id);
  w.Put(f.page_size);
  w.Put(f.kernel_offset);
  w.Put(f.crash_time);
  w.Put(uint64_t{f.cpus.size()});
  for (const VmcoreCpu& c : f.cpus) {
    w.Put(int64_t{c.cpu});
    w.Put(c.pid);
    w.Put(c.pc);
    w.Put(c.symbol);
    w.Put(c.source);
    w.Put(uint64_t{c.inlined.size()});
    for (const InlinedCall& call : c.inlined) {
      w.Put(call.function);
      w.Put(call.source);
    }
    w.Put(c.panicked);
  }
  w.Put(f.panic_cpu);
  w.Put(f.panic_message);
  w.Put(f.log_layout);
  w.Put(f.log_records);
  w.Put(f.log_skipped);
  w.Put(uint64_t{f.kallsyms_symbols});
  w.Put(f.vmcoreinfo);
  w.Put(uint64_t{f.warnings.size()});
  for (const std::string& warning : f.warnings) w.Put(warning);
}

VmcoreFacts GetFacts(Reader& r) {
  VmcoreFacts f;
  f.format = r.String();
  f.compression = r.String();
  f.arch = r.String();
  f.arch_derived = r.Bool();
  f.osrelease = r.String();
  f.build_id = r.String();
  f.page_size = r.U64();
  f.kernel_offset = r.Optional<int64_t>();
  f.crash_time = r.Optional<int64_t>();
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) {
    VmcoreCpu c;
    c.cpu = static_cast<int>(r.I64());
    c.pid = r.Optional<int>();
    c.pc = r.Optional<uint64_t>();
    c.symbol = r.String();
    c.source = r.String();
    for (uint64_t m = r.Count(); m > 0 && r.ok(); --m) {
      InlinedCall call;
      call.function = r.String();
      call.source = r.String();
      c.inlined.push_back(std::move(call));
    }
    c.panicked = r.Bool();
    f.cpus.push_back(std::move(c));
  }
  f.panic_cpu = r.Optional<int>();
  f.panic_message = r.String();
  f.log_layout = r.String();
  f.log_records = r.U64();
  f.log_skipped = r.U64();
  f.kallsyms_symbols = r.U64();
  f.vmcoreinfo = r.String();
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) f.warnings.push_back(r.String());
  return f;
}

void PutLog(Writer& w, const PrintkLog& log) {
  w.Put(uint64_t{static_cast<uint8_t>(log.layout)});
  w.Put(uint64_t{log.records.size()});
  for (const PrintkRecord& record : log.records) {
    w.Put(record.sequence);
    w.Put(record.timestamp_ns);
    // Level, facility and caller kind share one word: a log has 10^5 records.
    w.Put(uint64_t{record.level} | uint64_t{record.facility} << 8 |
          uint64_t{static_cast<uint8_t>(record.caller.kind)} << 16 | uint64_t{record.caller.id} << 32);
    w.Put(record.text);
  }
  w.Put(log.skipped_records);
  w.Put(uint64_t{log.warnings.size()});
  for (const std::string& warning : log.warnings) w.Put(warning);
}

PrintkLog GetLog(Reader& r) {
  PrintkLog log;
  log.layout = static_cast<PrintkLog::Layout>(r.U64());
  const uint64_t records = r.Count();
  log.records.reserve(records);
  for (uint64_t n = records; n > 0 && r.ok(); --n) {
    PrintkRecord record;
    record.sequence = r.U64();
    record.timestamp_ns = r.U64();
    const uint64_t packed = r.U64();
    record.level = static_cast<uint8_t>(packed);
    record.facility = static_cast<uint8_t>(packed >> 8);
    record.caller.kind = static_cast<Caller::Kind>(static_cast<uint8_t>(packed >> 16));
    record.caller.id = static_cast<uint32_t>(packed >> 32);
    record.text = r.String();
    log.records.push_back(std::move(record));
  }
  log.skipped_records = r.U64();
  for (uint64_t n = r.Count(); n > 0 && r.ok(); --n) log.warnings.push_back(r.String());
  return log;
}

}  // namespace

std::string EncodeVmcoreContents(const VmcoreContents& contents) {
  Writer w;
  PutFacts(w, contents.facts);
  w.Put(contents.log.has_value());
  if (contents.log) PutLog(w, *contents.log);
  return w.Take();
}

Result<VmcoreContents> DecodeVmcoreContents(std::string_view bytes) {
  Reader r(bytes);
  VmcoreContents contents;
  contents.facts = GetFacts(r);
  if (r.Bool()) contents.log = GetLog(r);
  if (!r.ok() || !r.at_end()) return Error{"the dump reader's child process sent an incomplete result"};
  return contents;
}

}  // namespace ktriage
