// Encoding of VmcoreContents: one list of fields per struct (Visit), walked by a Writer to encode
// and by a Reader to decode, so the two sides cannot disagree on the order. Integers travel as 8
// little-endian bytes, strings and vectors with their length first: both ends are one build.
#include "analyzer/vmcore/vmcore_wire.h"

#include <concepts>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

namespace ktriage {
namespace {

// Guards against a truncated or garbled stream allocating without bound.
constexpr uint64_t kMaxCount = uint64_t{1} << 32;

template <typename T, typename U>
concept Is = std::same_as<std::remove_const_t<T>, U>;

template <typename Io, typename T> requires Is<T, InlinedCall>
void Visit(Io& io, T& c) {
  io(c.function);
  io(c.source);
}

template <typename Io, typename T> requires Is<T, VmcoreCpu>
void Visit(Io& io, T& c) {
  io(c.cpu);
  io(c.pid);
  io(c.pc);
  io(c.symbol);
  io(c.source);
  io(c.inlined);
  io(c.panicked);
}

template <typename Io, typename T> requires Is<T, VmcoreFacts>
void Visit(Io& io, T& f) {
  io(f.format);
  io(f.compression);
  io(f.arch);
  io(f.arch_derived);
  io(f.osrelease);
  io(f.build_id);
  io(f.page_size);
  io(f.kernel_offset);
  io(f.crash_time);
  io(f.cpus);
  io(f.panic_cpu);
  io(f.panic_message);
  io(f.log_layout);
  io(f.log_records);
  io(f.log_skipped);
  io(f.kallsyms_symbols);
  io(f.vmcoreinfo);
  io(f.warnings);
}

template <typename Io, typename T> requires Is<T, Caller>
void Visit(Io& io, T& c) {
  io(c.kind);
  io(c.id);
}

template <typename Io, typename T> requires Is<T, PrintkRecord>
void Visit(Io& io, T& r) {
  io(r.sequence);
  io(r.timestamp_ns);
  io(r.level);
  io(r.facility);
  io(r.caller);
  io(r.text);
}

template <typename Io, typename T> requires Is<T, PrintkLog>
void Visit(Io& io, T& log) {
  io(log.layout);
  io(log.records);
  io(log.skipped_records);
  io(log.warnings);
}

template <typename Io, typename T> requires Is<T, VmcoreContents>
void Visit(Io& io, T& c) {
  io(c.facts);
  io(c.log);
}

class Writer {
 public:
  template <typename T> requires std::integral<T> || std::is_enum_v<T>
  void operator()(T v) {
    uint64_t u;
    if constexpr (std::is_enum_v<T>) {
      u = static_cast<uint64_t>(static_cast<std::underlying_type_t<T>>(v));
    } else {
      u = static_cast<uint64_t>(v);
    }
    char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(u >> (8 * i));
    out_.append(bytes, 8);
  }
  void operator()(const std::string& s) {
    (*this)(uint64_t{s.size()});
    out_ += s;
  }
  template <typename T>
  void operator()(const std::optional<T>& v) {
    (*this)(v.has_value());
    if (v) (*this)(*v);
  }
  template <typename T>
  void operator()(const std::vector<T>& v) {
    (*this)(uint64_t{v.size()});
    for (const T& e : v) (*this)(e);
  }
  template <typename T> requires std::is_class_v<T>
  void operator()(const T& v) {
    Visit(*this, v);
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

  template <typename T> requires std::integral<T> || std::is_enum_v<T>
  void operator()(T& v) {
    uint64_t u = 0;
    if (in_.size() < 8) return Fail();
    for (int i = 0; i < 8; ++i) u |= uint64_t{static_cast<unsigned char>(in_[i])} << (8 * i);
    in_.remove_prefix(8);
    if constexpr (std::is_same_v<T, bool>) {
      v = u != 0;
    } else if constexpr (std::is_enum_v<T>) {
      v = static_cast<T>(static_cast<std::underlying_type_t<T>>(u));
    } else {
      v = static_cast<T>(u);
    }
  }
  void operator()(std::string& s) {
    uint64_t n = 0;
    (*this)(n);
    if (n > in_.size()) return Fail();
    s.assign(in_.substr(0, n));
    in_.remove_prefix(n);
  }
  template <typename T>
  void operator()(std::optional<T>& v) {
    bool present = false;
    (*this)(present);
    v.reset();
    if (!present || !ok_) return;
    v.emplace();
    (*this)(*v);
  }
  template <typename T>
  void operator()(std::vector<T>& v) {
    uint64_t n = 0;
    (*this)(n);
    // Every element takes at least 8 bytes: a count beyond that is garbage.
    if (n > kMaxCount || n > in_.size() / 8) return Fail();
    v.clear();
    v.reserve(n);
    for (; n > 0 && ok_; --n) (*this)(v.emplace_back());
  }
  template <typename T> requires std::is_class_v<T>
  void operator()(T& v) {
    Visit(*this, v);
  }

 private:
  void Fail() {
    ok_ = false;
    in_ = {};
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string EncodeVmcoreContents(const VmcoreContents& contents) {
  Writer w;
  w(contents);
  return std::string(kVmcoreWireMagic) + w.Take();
}

Result<VmcoreContents> DecodeVmcoreContents(std::string_view bytes) {
  if (!bytes.starts_with(kVmcoreWireMagic)) {
    return Error{"the dump reader sent no result of this version of ktriage (is ktriage-dump-reader from another build?)"};
  }
  bytes.remove_prefix(kVmcoreWireMagic.size());
  Reader r(bytes);
  VmcoreContents contents;
  r(contents);
  if (!r.ok() || !r.at_end()) return Error{"the dump reader sent an incomplete result"};
  return contents;
}

}  // namespace ktriage
