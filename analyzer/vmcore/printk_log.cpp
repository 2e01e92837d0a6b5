// Kernel log readers: the lockless printk ring buffer (5.10+, kernel/printk/printk_ringbuffer.c)
// and the structured log_buf (3.5 to 5.9), located through VMCOREINFO alone; and the
// makedumpfile --dump-dmesg rendering of their records.
#include "analyzer/vmcore/printk_log.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <string_view>

#include "analyzer/vmcore/region_reader.h"
#include "base/text.h"

namespace ktriage {
namespace {

// --- Facts of the lockless ring (printk_ringbuffer.h), for 64-bit kernels ---------------------
// A descriptor's state_var holds the state in its top two bits and the id in the rest.
constexpr unsigned kStateShift = 62;
constexpr uint64_t kDescIdMask = ~(uint64_t{3} << kStateShift);
enum class DescState : uint8_t { kReserved = 0, kCommitted = 1, kFinalized = 2, kReusable = 3 };
// Data-less blocks have odd logical positions. FAILED_LPOS: the data could not be stored (the
// text is lost). 0x3 (NO_LPOS in 5.10-6.x, EMPTY_LINE_LPOS later): a record whose text is empty.
constexpr uint64_t kFailedLpos = 0x1;
constexpr uint64_t kEmptyLineLpos = 0x3;
// CONFIG_LOG_BUF_SHIFT and log_buf_len= are capped at 2 GiB (LOG_BUF_LEN_MAX), and the kernel
// sizes the descriptor ring as text size / 32 (PRB_AVGBITS = 5). A ring claiming more is corrupt,
// and refusing it keeps memory bounded.
constexpr uint32_t kMaxSizeBits = 31;
constexpr uint32_t kMaxCountBits = 26;
constexpr uint64_t kMaxStructSize = 4096;   // no printk struct is near this; bounds header reads
constexpr uint64_t kMaxLogBufLen = uint64_t{1} << 31;
constexpr size_t kMaxWarnings = 32;          // a corrupt ring must not produce millions of lines

// Collects warnings, keeping the first few verbatim and counting the rest.
class Warnings {
 public:
  explicit Warnings(std::vector<std::string>& out) : out_(out) {}
  void Add(std::string message) {
    if (out_.size() < kMaxWarnings) {
      out_.push_back(std::move(message));
    } else {
      ++dropped_;
    }
  }
  // The same with the message made only when it is kept: a corrupt ring can claim millions of
  // unreadable descriptors, and building millions of dropped messages took seconds (fuzzing).
  template <typename MakeMessage>
  void AddLazily(MakeMessage&& make) {
    if (out_.size() < kMaxWarnings) {
      out_.push_back(make());
    } else {
      ++dropped_;
    }
  }
  void Finish() {
    if (dropped_ > 0) out_.push_back(std::to_string(dropped_) + " more warnings like these were left out");
  }

 private:
  std::vector<std::string>& out_;
  uint64_t dropped_ = 0;
};

// Looks up VMCOREINFO entries and remembers every missing one, so an error names them all at once.
class Needs {
 public:
  explicit Needs(const VmcoreInfo& info) : info_(info) {}
  uint64_t Symbol(std::string_view name) { return Take(info_.Symbol(name), "SYMBOL", name); }
  uint64_t Size(std::string_view name) { return Take(info_.Size(name), "SIZE", name); }
  uint64_t Offset(std::string_view name) { return Take(info_.Offset(name), "OFFSET", name); }
  bool ok() const { return missing_.empty(); }
  Error MissingError(std::string_view what) const {
    std::string list;
    for (const std::string& m : missing_) list += (list.empty() ? "" : ", ") + m;
    return Error{"VMCOREINFO lacks " + list + ", needed to read " + std::string(what)};
  }

 private:
  uint64_t Take(std::optional<uint64_t> v, std::string_view kind, std::string_view name) {
    if (!v) missing_.push_back(std::string(kind) + "(" + std::string(name) + ")");
    return v.value_or(0);
  }
  const VmcoreInfo& info_;
  std::vector<std::string> missing_;
};

// Field positions of the lockless ring, from VMCOREINFO (parsed once, at the edge).
struct LocklessLayout {
  uint64_t prb_pointer = 0;  // address of the `prb` pointer variable
  uint64_t ring_struct_size = 0;
  uint64_t desc_ring = 0, text_data_ring = 0, fail = 0;
  uint64_t count_bits = 0, descs = 0, infos = 0, head_id = 0, tail_id = 0;
  uint64_t desc_size = 0, state_var = 0, text_blk_lpos = 0, lpos_begin = 0, lpos_next = 0;
  uint64_t size_bits = 0, data = 0, head_lpos = 0, tail_lpos = 0;
  uint64_t info_size = 0, seq = 0, ts_nsec = 0, text_len = 0, caller_id = 0;
  uint64_t counter = 0;  // atomic_long_t.counter
  // facility and flags:5/level:3 are not exported; they follow the u16 text_len (see printk_info).
  std::optional<uint64_t> facility, level_byte;
};

Result<LocklessLayout> ParseLocklessLayout(const VmcoreInfo& info) {
  Needs need(info);
  LocklessLayout l;
  l.prb_pointer = need.Symbol("prb");
  l.desc_ring = need.Offset("printk_ringbuffer.desc_ring");
  l.text_data_ring = need.Offset("printk_ringbuffer.text_data_ring");
  l.count_bits = need.Offset("prb_desc_ring.count_bits");
  l.descs = need.Offset("prb_desc_ring.descs");
  l.infos = need.Offset("prb_desc_ring.infos");
  l.head_id = need.Offset("prb_desc_ring.head_id");
  l.tail_id = need.Offset("prb_desc_ring.tail_id");
  l.desc_size = need.Size("prb_desc");
  l.state_var = need.Offset("prb_desc.state_var");
  l.text_blk_lpos = need.Offset("prb_desc.text_blk_lpos");
  l.lpos_begin = need.Offset("prb_data_blk_lpos.begin");
  l.lpos_next = need.Offset("prb_data_blk_lpos.next");
  l.size_bits = need.Offset("prb_data_ring.size_bits");
  l.data = need.Offset("prb_data_ring.data");
  l.head_lpos = need.Offset("prb_data_ring.head_lpos");
  l.tail_lpos = need.Offset("prb_data_ring.tail_lpos");
  l.info_size = need.Size("printk_info");
  l.seq = need.Offset("printk_info.seq");
  l.ts_nsec = need.Offset("printk_info.ts_nsec");
  l.text_len = need.Offset("printk_info.text_len");
  l.caller_id = need.Offset("printk_info.caller_id");
  if (!need.ok()) return need.MissingError("the lockless printk ring buffer (5.10+)");
  // Exported by every 5.10+ kernel, but their absence need not stop us: atomic_long_t is a bare
  // counter, and `fail` is only used for a warning.
  l.counter = info.Offset("atomic_long_t.counter").value_or(0);
  l.fail = info.Offset("printk_ringbuffer.fail").value_or(UINT64_MAX);

  // Everything we read of a descriptor and an info must lie inside them: the offsets come from the dump.
  auto inside = [](uint64_t offset, uint64_t width, uint64_t size) { return offset <= size && width <= size - offset; };
  if (l.desc_size == 0 || l.desc_size > kMaxStructSize || l.info_size == 0 || l.info_size > kMaxStructSize) {
    return Error{"VMCOREINFO gives implausible sizes: SIZE(prb_desc)=" + std::to_string(l.desc_size) +
                 ", SIZE(printk_info)=" + std::to_string(l.info_size)};
  }
  if (!inside(l.state_var + l.counter, 8, l.desc_size) || !inside(l.text_blk_lpos + l.lpos_begin, 8, l.desc_size) ||
      !inside(l.text_blk_lpos + l.lpos_next, 8, l.desc_size)) {
    return Error{"VMCOREINFO offsets of prb_desc fields lie outside SIZE(prb_desc)=" + std::to_string(l.desc_size)};
  }
  if (!inside(l.seq, 8, l.info_size) || !inside(l.ts_nsec, 8, l.info_size) || !inside(l.text_len, 2, l.info_size) ||
      !inside(l.caller_id, 4, l.info_size)) {
    return Error{"VMCOREINFO offsets of printk_info fields lie outside SIZE(printk_info)=" +
                 std::to_string(l.info_size)};
  }
  // struct printk_info { u64 seq; u64 ts_nsec; u16 text_len; u8 facility; u8 flags:5, level:3;
  // u32 caller_id; ... }: the two bytes between text_len and caller_id are facility and
  // flags/level. Trust that only when caller_id sits exactly 4 bytes after text_len.
  if (l.caller_id == l.text_len + 4) {
    l.facility = l.text_len + 2;
    l.level_byte = l.text_len + 3;
  }
  l.ring_struct_size = std::max({l.desc_ring + l.tail_id, l.desc_ring + l.head_id, l.desc_ring + l.descs,
                                 l.desc_ring + l.infos, l.desc_ring + l.count_bits, l.text_data_ring + l.size_bits,
                                 l.text_data_ring + l.data, l.text_data_ring + l.head_lpos,
                                 l.text_data_ring + l.tail_lpos, l.fail == UINT64_MAX ? 0 : l.fail}) +
                      8 + l.counter;
  if (l.ring_struct_size > kMaxStructSize) {
    return Error{"VMCOREINFO offsets of printk_ringbuffer fields are implausible (beyond " +
                 std::to_string(kMaxStructSize) + " bytes)"};
  }
  return l;
}

// The printk_ringbuffer header as read from the dump.
struct RingHeader {
  uint64_t address = 0;
  uint32_t count_bits = 0;
  uint64_t descs = 0, infos = 0, head_id = 0, tail_id = 0;
  uint32_t size_bits = 0;
  uint64_t data = 0, head_lpos = 0, tail_lpos = 0;
  std::optional<uint64_t> fail;
};

Result<RingHeader> ReadRingHeader(MemoryReader& memory, const LocklessLayout& l) {
  RingHeader h;
  Result<uint64_t> prb = memory.ReadU64(l.prb_pointer);
  if (!prb.ok()) return Error{"cannot read the prb pointer at " + HexString(l.prb_pointer) + ": " + prb.error().message};
  if (*prb == 0) return Error{"the prb pointer at " + HexString(l.prb_pointer) + " is NULL"};
  h.address = *prb;
  std::vector<uint8_t> raw(l.ring_struct_size);
  if (Status s = memory.ReadVirtual(h.address, raw.data(), raw.size()); !s.ok()) {
    return Error{"cannot read the printk ring buffer at " + HexString(h.address) + ": " + s.error().message};
  }
  const uint8_t* p = raw.data();
  h.count_bits = LoadU32(p + l.desc_ring + l.count_bits);
  h.descs = LoadU64(p + l.desc_ring + l.descs);
  h.infos = LoadU64(p + l.desc_ring + l.infos);
  h.head_id = LoadU64(p + l.desc_ring + l.head_id + l.counter);
  h.tail_id = LoadU64(p + l.desc_ring + l.tail_id + l.counter);
  h.size_bits = LoadU32(p + l.text_data_ring + l.size_bits);
  h.data = LoadU64(p + l.text_data_ring + l.data);
  h.head_lpos = LoadU64(p + l.text_data_ring + l.head_lpos + l.counter);
  h.tail_lpos = LoadU64(p + l.text_data_ring + l.tail_lpos + l.counter);
  if (l.fail != UINT64_MAX) h.fail = LoadU64(p + l.fail + l.counter);

  const std::string where = "printk ring buffer at " + HexString(h.address);
  if (h.size_bits < 3 || h.size_bits > kMaxSizeBits) {
    return Error{where + ": text data ring size_bits " + std::to_string(h.size_bits) + " is outside 3.." +
                 std::to_string(kMaxSizeBits)};
  }
  if (h.count_bits > kMaxCountBits || h.count_bits > h.size_bits) {
    return Error{where + ": descriptor count_bits " + std::to_string(h.count_bits) + " is implausible (at most " +
                 std::to_string(kMaxCountBits) + " and at most size_bits " + std::to_string(h.size_bits) + ")"};
  }
  if (h.descs == 0 || h.infos == 0 || h.data == 0) {
    return Error{where + ": NULL descriptor, info or data array (descs " + HexString(h.descs) + ", infos " +
                 HexString(h.infos) + ", data " + HexString(h.data) + ")"};
  }
  return h;
}

// Where a record's text lies in the data ring, following the kernel's get_data().
struct TextSpan {
  uint64_t block = 0;      // data ring offset of the block (its leading id word)
  uint64_t available = 0;  // bytes after the id word
};

std::optional<TextSpan> LocateBlock(uint64_t begin, uint64_t next, uint32_t size_bits) {
  const uint64_t size = uint64_t{1} << size_bits;
  auto wraps = [&](uint64_t lpos) { return lpos >> size_bits; };
  auto index = [&](uint64_t lpos) { return lpos & (size - 1); };
  TextSpan span;
  uint64_t block_size = 0;
  if (wraps(begin) == wraps(next) && begin < next) {
    span.block = index(begin);
    block_size = next - begin;
  } else if (wraps(begin + size) == wraps(next)) {
    // The block did not fit before the end of the ring: the kernel stored it whole at offset 0
    // (the tail of the ring holds only the id, as padding).
    span.block = 0;
    block_size = index(next);
  } else {
    return std::nullopt;
  }
  // A valid block is aligned to its id word and holds at least that id.
  if (begin % 8 != 0 || next % 8 != 0 || block_size < 8) return std::nullopt;
  span.available = block_size - 8;
  return span;
}

Result<PrintkLog> ReadLockless(MemoryReader& memory, const VmcoreInfo& info) {
  Result<LocklessLayout> layout = ParseLocklessLayout(info);
  if (!layout.ok()) return layout.error();
  const LocklessLayout& l = *layout;
  Result<RingHeader> header = ReadRingHeader(memory, l);
  if (!header.ok()) return header.error();
  const RingHeader& h = *header;

  PrintkLog log;
  log.layout = PrintkLog::Layout::kLockless;
  Warnings warnings(log.warnings);
  if (!l.facility) {
    warnings.Add("printk_info.caller_id is not 4 bytes after text_len: record levels and facilities are unknown");
  }
  if (h.fail && *h.fail != 0) {
    warnings.Add(std::to_string(*h.fail) + " printk messages were lost: the ring buffer had no room for them");
  }

  const uint64_t count = uint64_t{1} << h.count_bits;
  const uint64_t data_size = uint64_t{1} << h.size_bits;
  // Ids grow (modulo the id space) from tail to head; more than `count` of them cannot be live.
  uint64_t tail_id = h.tail_id & kDescIdMask;
  const uint64_t head_id = h.head_id & kDescIdMask;
  uint64_t steps = ((head_id - tail_id) & kDescIdMask) + 1;
  if (steps > count) {
    warnings.Add("descriptor ring tail id " + std::to_string(tail_id) + " is " + std::to_string(steps - 1) +
                 " ids behind head id " + std::to_string(head_id) + ", more than the " + std::to_string(count) +
                 " descriptors: reading only the newest " + std::to_string(count));
    tail_id = (head_id - (count - 1)) & kDescIdMask;
    steps = count;
  }

  RegionReader descs(memory, h.descs, count * l.desc_size);
  RegionReader infos(memory, h.infos, count * l.info_size);
  RegionReader data(memory, h.data, data_size);
  std::vector<uint8_t> desc(l.desc_size);
  std::vector<uint8_t> record_info(l.info_size);
  uint64_t total_text = 0;
  uint64_t lost_text = 0;
  uint64_t not_live = 0;  // descriptors neither committed nor finalized, or holding another id

  for (uint64_t step = 0; step < steps; ++step) {
    const uint64_t id = (tail_id + step) & kDescIdMask;
    const uint64_t index = id & (count - 1);
    if (Status s = descs.Read(index * l.desc_size, desc.data(), desc.size()); !s.ok()) {
      warnings.AddLazily([&] { return "descriptor " + std::to_string(id) + " unreadable: " + s.error().message; });
      // The descriptors that start in the rest of a missing page are missing too: skipped in one
      // step, or a ring claiming 2^26 descriptors in missing memory takes minutes (fuzzing).
      const uint64_t at = index * l.desc_size;
      const uint64_t span = std::max<uint64_t>(1, (descs.UnreadableEnd(at) - at + l.desc_size - 1) / l.desc_size);
      const uint64_t more = std::min(span, steps - step) - 1;
      log.skipped_records += 1 + more;
      step += more;
      continue;
    }
    const uint64_t state_var = LoadU64(desc.data() + l.state_var + l.counter);
    const auto state = static_cast<DescState>(state_var >> kStateShift);
    // Only committed (complete, maybe still extendable) and finalized records hold a whole text;
    // a reserved one is being written, a reusable one may already be overwritten, and an id
    // mismatch means the slot was recycled for a newer record after our tail was read.
    if ((state != DescState::kCommitted && state != DescState::kFinalized) || (state_var & kDescIdMask) != id) {
      ++log.skipped_records;
      ++not_live;
      continue;
    }
    const uint64_t begin = LoadU64(desc.data() + l.text_blk_lpos + l.lpos_begin);
    const uint64_t next = LoadU64(desc.data() + l.text_blk_lpos + l.lpos_next);
    if (Status s = infos.Read(index * l.info_size, record_info.data(), record_info.size()); !s.ok()) {
      warnings.AddLazily([&] { return "info of descriptor " + std::to_string(id) + " unreadable: " + s.error().message; });
      ++log.skipped_records;
      continue;
    }
    const uint8_t* in = record_info.data();
    PrintkRecord record;
    record.sequence = LoadU64(in + l.seq);
    record.timestamp_ns = LoadU64(in + l.ts_nsec);
    const uint16_t text_len = LoadU16(in + l.text_len);
    if (l.facility) {
      record.facility = in[*l.facility];
      record.level = static_cast<uint8_t>(in[*l.level_byte] >> 5);  // flags:5 low, level:3 high (LE bitfields)
    }
    const uint32_t caller = LoadU32(in + l.caller_id);
    record.caller = (caller & 0x80000000U) != 0 ? Caller{Caller::Kind::kCpu, caller & 0x7fffffffU}
                                               : Caller{Caller::Kind::kThread, caller};

    if ((begin & 1) != 0 && (next & 1) != 0) {
      // Data-less record. An empty line has text_len 0; with FAILED_LPOS the text was never stored,
      // and the kernel's own reader skips such a record, as we do.
      if (begin == kEmptyLineLpos && next == kEmptyLineLpos && text_len == 0) {
        log.records.push_back(std::move(record));
      } else if (begin == kFailedLpos && next == kFailedLpos) {
        ++lost_text;
        ++log.skipped_records;
      } else {
        warnings.Add("record " + std::to_string(record.sequence) + " (descriptor " + std::to_string(id) +
                     "): invalid data-less block " + std::to_string(begin) + ".." + std::to_string(next) +
                     " for text_len " + std::to_string(text_len));
        ++log.skipped_records;
      }
      continue;
    }
    std::optional<TextSpan> span = LocateBlock(begin, next, h.size_bits);
    if (!span) {
      warnings.Add("record " + std::to_string(record.sequence) + " (descriptor " + std::to_string(id) +
                   "): invalid data block " + std::to_string(begin) + ".." + std::to_string(next));
      ++log.skipped_records;
      continue;
    }
    if (text_len > span->available) {
      warnings.Add("record " + std::to_string(record.sequence) + ": text_len " + std::to_string(text_len) +
                   " exceeds its data block of " + std::to_string(span->available) + " bytes");
      ++log.skipped_records;
      continue;
    }
    // Valid records own disjoint blocks, so their texts cannot add up to more than the ring; more
    // means descriptors point at the same data, and reading on would only multiply memory.
    if (total_text + text_len > data_size) {
      warnings.Add("record texts exceed the " + std::to_string(data_size) +
                   "-byte data ring: descriptors overlap; stopped at record " + std::to_string(record.sequence));
      break;
    }
    Result<uint64_t> block_id = data.U64(span->block);
    if (!block_id.ok()) {
      warnings.Add("record " + std::to_string(record.sequence) + ": " + block_id.error().message);
      ++log.skipped_records;
      continue;
    }
    // Every data block starts with the id of the descriptor that owns it (data_alloc()).
    if ((*block_id & kDescIdMask) != id) {
      warnings.Add("record " + std::to_string(record.sequence) + ": its data block belongs to descriptor " +
                   std::to_string(*block_id) + ", not " + std::to_string(id));
      ++log.skipped_records;
      continue;
    }
    record.text.resize(text_len);
    if (Status s = data.Read(span->block + 8, record.text.data(), text_len); !s.ok()) {
      warnings.Add("record " + std::to_string(record.sequence) + ": text unreadable: " + s.error().message);
      ++log.skipped_records;
      continue;
    }
    // The kernel strips the newline when it stores a line; a stray one would print an empty line.
    if (!record.text.empty() && record.text.back() == '\n') record.text.pop_back();
    total_text += text_len;
    log.records.push_back(std::move(record));
  }
  if (lost_text > 0) {
    warnings.Add(std::to_string(lost_text) + " records had no text stored (FAILED_LPOS); skipped");
  }
  // A live ring has at most a few such descriptors (the records CPUs were writing at the crash),
  // and they are only counted. Many, or nothing else, means a zeroed or corrupt descriptor ring:
  // say so, or an empty log would look like a quiet kernel.
  if (not_live > 8 || (not_live > 0 && log.records.empty())) {
    warnings.Add(std::to_string(not_live) + " of " + std::to_string(steps) +
                 " descriptors between tail and head were not committed or finalized, or held another id: "
                 "skipped (a zeroed or corrupt descriptor ring?)");
  }
  // Ids and sequence numbers grow together, so this is already in order on a sane ring; a corrupt
  // one still gets a deterministic order.
  auto by_sequence = [](const PrintkRecord& a, const PrintkRecord& b) { return a.sequence < b.sequence; };
  if (!std::is_sorted(log.records.begin(), log.records.end(), by_sequence)) {
    warnings.Add("records were not in sequence order in the descriptor ring; sorted them");
    std::stable_sort(log.records.begin(), log.records.end(), by_sequence);
  }
  warnings.Finish();
  return log;
}

// --- Structured log_buf (3.5 to 5.9) ------------------------------------------------------------
// struct printk_log { u64 ts_nsec; u16 len; u16 text_len; u16 dict_len; u8 facility;
//                     u8 flags:5, level:3; [u32 caller_id;] } followed by text and dict.
Result<PrintkLog> ReadStructured(MemoryReader& memory, const VmcoreInfo& info) {
  // The struct was named `log` until 3.11 renamed it `printk_log`; VMCOREINFO follows the name.
  const bool old_name = !info.Size("printk_log") && info.Size("log");
  const std::string type = old_name ? "log" : "printk_log";
  Needs need(info);
  const uint64_t log_buf_symbol = need.Symbol("log_buf");
  const uint64_t log_buf_len_symbol = need.Symbol("log_buf_len");
  const uint64_t first_idx_symbol = need.Symbol("log_first_idx");
  const uint64_t next_idx_symbol = need.Symbol("log_next_idx");
  const uint64_t header_size = need.Size(type);
  const uint64_t ts_offset = need.Offset(type + ".ts_nsec");
  const uint64_t len_offset = need.Offset(type + ".len");
  const uint64_t text_len_offset = need.Offset(type + ".text_len");
  if (!need.ok()) return need.MissingError("the structured kernel log buffer (3.5-5.9)");
  const std::optional<uint64_t> caller_offset = info.Offset(type + ".caller_id");

  if (header_size == 0 || header_size > kMaxStructSize || ts_offset + 8 > header_size || len_offset + 2 > header_size ||
      text_len_offset + 2 > header_size || (caller_offset && *caller_offset + 4 > header_size)) {
    return Error{"VMCOREINFO offsets of struct " + type + " lie outside SIZE(" + type + ")=" + std::to_string(header_size)};
  }
  // facility and flags/level follow text_len and dict_len (u16 each); unexported, so derived.
  std::optional<uint64_t> facility_offset;
  if (text_len_offset + 6 <= header_size) facility_offset = text_len_offset + 4;

  Result<uint64_t> buffer = memory.ReadU64(log_buf_symbol);
  Result<uint32_t> length = memory.ReadU32(log_buf_len_symbol);
  Result<uint32_t> first_idx = memory.ReadU32(first_idx_symbol);
  Result<uint32_t> next_idx = memory.ReadU32(next_idx_symbol);
  for (const Error* e : {buffer.ok() ? nullptr : &buffer.error(), length.ok() ? nullptr : &length.error(),
                         first_idx.ok() ? nullptr : &first_idx.error(), next_idx.ok() ? nullptr : &next_idx.error()}) {
    if (e != nullptr) return Error{"cannot read the log_buf variables: " + e->message};
  }
  const uint64_t buf_len = *length;
  if (*buffer == 0 || buf_len < header_size || buf_len > kMaxLogBufLen) {
    return Error{"log_buf " + HexString(*buffer) + " of " + std::to_string(buf_len) + " bytes is implausible"};
  }
  if (*first_idx >= buf_len || *next_idx >= buf_len) {
    return Error{"log_first_idx " + std::to_string(*first_idx) + " or log_next_idx " + std::to_string(*next_idx) +
                 " lies outside log_buf of " + std::to_string(buf_len) + " bytes"};
  }

  PrintkLog log;
  log.layout = old_name ? PrintkLog::Layout::kStructuredOld : PrintkLog::Layout::kStructured;
  Warnings warnings(log.warnings);
  // log_first_seq is not in VMCOREINFO; number from it when some producer adds it, else from 0.
  uint64_t sequence = 0;
  if (std::optional<uint64_t> seq_symbol = info.Symbol("log_first_seq")) {
    if (Result<uint64_t> s = memory.ReadU64(*seq_symbol); s.ok()) sequence = *s;
  }
  RegionReader ring(memory, *buffer, buf_len);
  std::vector<uint8_t> header(header_size);
  uint64_t index = *first_idx;
  bool wrapped = false;
  // Every record but the wrap marker advances by at least a header, and the walk wraps once.
  const uint64_t max_turns = buf_len / header_size + 2;
  for (uint64_t turn = 0; index != *next_idx; ++turn) {
    if (turn >= max_turns) {
      warnings.Add("log_buf walk did not reach log_next_idx within the buffer's size; stopped");
      break;
    }
    if (index + header_size > buf_len) {
      warnings.Add("log_buf record at " + std::to_string(index) + " would overrun the buffer; stopped");
      break;
    }
    if (Status s = ring.Read(index, header.data(), header.size()); !s.ok()) {
      warnings.Add("log_buf record at " + std::to_string(index) + " unreadable: " + s.error().message + "; stopped");
      break;
    }
    const uint16_t len = LoadU16(header.data() + len_offset);
    if (len == 0) {
      // The end-of-buffer marker: the next record is at the start. A second one means a loop.
      if (wrapped) {
        warnings.Add("log_buf wraps twice (at " + std::to_string(index) + "); stopped");
        break;
      }
      wrapped = true;
      index = 0;
      continue;
    }
    const uint16_t text_len = LoadU16(header.data() + text_len_offset);
    if (len < header_size || index + len > buf_len || header_size + text_len > len) {
      warnings.Add("log_buf record at " + std::to_string(index) + " is corrupt (len " + std::to_string(len) +
                   ", text_len " + std::to_string(text_len) + "); stopped");
      break;
    }
    PrintkRecord record;
    record.sequence = sequence++;
    record.timestamp_ns = LoadU64(header.data() + ts_offset);
    if (facility_offset) {
      record.facility = header[*facility_offset];
      record.level = static_cast<uint8_t>(header[*facility_offset + 1] >> 5);
    }
    if (caller_offset) {
      const uint32_t caller = LoadU32(header.data() + *caller_offset);
      record.caller = (caller & 0x80000000U) != 0 ? Caller{Caller::Kind::kCpu, caller & 0x7fffffffU}
                                                 : Caller{Caller::Kind::kThread, caller};
    }
    record.text.resize(text_len);
    if (Status s = ring.Read(index + header_size, record.text.data(), text_len); !s.ok()) {
      warnings.Add("log_buf record at " + std::to_string(index) + ": text unreadable: " + s.error().message);
      record.text.clear();
    }
    if (!record.text.empty() && record.text.back() == '\n') record.text.pop_back();
    log.records.push_back(std::move(record));
    index += len;
  }
  warnings.Finish();
  return log;
}

// makedumpfile prints a byte as is when isprint() or isspace() holds in the C locale.
bool PrintedAsIs(unsigned char c) { return (c >= 0x20 && c < 0x7f) || (c >= '\t' && c <= '\r'); }

}  // namespace

Result<PrintkLog> ReadPrintkLog(MemoryReader& memory, const VmcoreInfo& info) {
  if (info.Symbol("prb")) return ReadLockless(memory, info);
  if (info.Symbol("log_buf") && (info.Size("printk_log") || info.Size("log"))) return ReadStructured(memory, info);
  if (info.Symbol("log_buf")) {
    return Error{"VMCOREINFO has SYMBOL(log_buf) but no SIZE(printk_log) or SIZE(log): a plain-text log buffer "
                 "(before 3.5), which is not supported"};
  }
  return Error{"VMCOREINFO has neither SYMBOL(prb) (5.10+) nor SYMBOL(log_buf): cannot find the kernel log"};
}

std::string FormatPrintkLog(const PrintkLog& log, bool with_caller) {
  std::string out;
  std::array<char, 64> prefix{};
  for (const PrintkRecord& record : log.records) {
    int n = std::snprintf(prefix.data(), prefix.size(), "[%5llu.%06llu]",
                          static_cast<unsigned long long>(record.timestamp_ns / 1000000000ULL),
                          static_cast<unsigned long long>(record.timestamp_ns % 1000000000ULL / 1000ULL));
    std::string_view head(prefix.data(), static_cast<size_t>(n));
    std::string caller_part;
    if (with_caller && record.caller.known()) {
      // The kernel's print_caller(): "[%6s]" of "T<pid>" or "C<cpu>".
      const std::string id = CallerName(record.caller);
      caller_part = "[" + std::string(id.size() < 6 ? 6 - id.size() : 0, ' ') + id + "]";
    }
    const size_t line_start = out.size();
    out += head;
    out += caller_part;
    out += ' ';
    // Continuation lines of a multi-line record are indented to the width of the prefix, so the
    // timestamp column stays clean (makedumpfile's "\n%-*s").
    const size_t indent = out.size() - line_start;
    for (char ch : record.text) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '\n') {
        out += '\n';
        out.append(indent, ' ');
      } else if (PrintedAsIs(c)) {
        out += ch;
      } else {
        std::array<char, 8> escaped{};
        std::snprintf(escaped.data(), escaped.size(), "\\x%02x", c);
        out += escaped.data();
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace ktriage
