// OrcUnwinder: table lookup (binary search over absolute IPs rebuilt from the relative ones) and
// the step of arch/x86/kernel/unwind_orc.c: find the previous SP from sp_reg/sp_offset, then the
// return address (CALL), a whole pt_regs (REGS) or its iret frame (REGS_PARTIAL), then BP.
#include "analyzer/kernel_state/orc_unwind.h"

#include <algorithm>
#include <numeric>

#include "base/text.h"

namespace ktriage::kernel {
namespace {

enum : unsigned {
  kRegUndefined = 0,
  kRegPrevSp = 1,
  kRegDx = 2,
  kRegDi = 3,
  kRegBp = 4,
  kRegSp = 5,
  kRegR10 = 6,
  kRegR13 = 7,
  kRegBpIndirect = 8,
  kRegSpIndirect = 9,
};
constexpr uint64_t kMaxEntries = 1u << 24;
constexpr size_t kEntryBytes = 6;

// The hashes of arch/x86/include/asm/orc_types.h that objtool writes into .orc_header (the
// kernel's scripts/orc_hash.sh), per format.
constexpr unsigned char kHeaderV3[20] = {0xfe, 0x5d, 0x32, 0xbf, 0x58, 0x1b, 0xd6, 0x3b, 0x2c, 0xa9,
                                         0xa5, 0xc6, 0x5b, 0xa5, 0xa6, 0x25, 0xea, 0xb3, 0xfe, 0x24};
constexpr unsigned char kHeaderV2[20] = {0xdb, 0x84, 0xae, 0xd4, 0x10, 0x3b, 0x31, 0xdd, 0x51, 0xe0,
                                         0x17, 0xf8, 0xf7, 0x97, 0x83, 0xca, 0x98, 0x5c, 0x2c, 0x51};

// "6.12.115+deb12-cloud-amd64" -> {6, 12}.
std::pair<long, long> ReleaseVersion(const std::string& release) {
  long major = 0, minor = 0;
  size_t i = 0;
  while (i < release.size() && release[i] >= '0' && release[i] <= '9') major = major * 10 + (release[i++] - '0');
  if (i < release.size() && release[i] == '.') {
    ++i;
    while (i < release.size() && release[i] >= '0' && release[i] <= '9') minor = minor * 10 + (release[i++] - '0');
  }
  return {major, minor};
}

}  // namespace

OrcEntry DecodeOrcEntry(const unsigned char* p, OrcFormat format) {
  using Type = OrcEntry::Type;
  OrcEntry e;
  e.sp_offset = static_cast<int16_t>(p[0] | p[1] << 8);
  e.bp_offset = static_cast<int16_t>(p[2] | p[3] << 8);
  e.sp_reg = p[4] & 0xf;
  e.bp_reg = p[4] >> 4;
  const unsigned flags = p[5];
  if (format == OrcFormat::kV3) {
    switch (flags & 0x7) {
      case 1: e.type = Type::kEndOfStack; break;
      case 2: e.type = Type::kCall; break;
      case 3: e.type = Type::kRegs; break;
      case 4: e.type = Type::kRegsPartial; break;
      default: e.type = Type::kUndefined; break;  // 0, and values no kernel writes
    }
    e.signal = (flags >> 3) & 1;
    return e;
  }
  // v1 and v2: type:2 then (v2) signal:1, then end:1; an undefined SP register means the
  // stack is undefined, or ends there when `end` is set.
  const bool end = format == OrcFormat::kV2 ? (flags >> 3) & 1 : (flags >> 2) & 1;
  const unsigned type = flags & 0x3;
  if (e.sp_reg == 0 /* ORC_REG_UNDEFINED */) {
    e.type = end ? Type::kEndOfStack : Type::kUndefined;
  } else {
    e.type = type == 0 ? Type::kCall : type == 1 ? Type::kRegs : type == 2 ? Type::kRegsPartial : Type::kUndefined;
  }
  // v1 has no signal bit: its REGS frames are the interrupted ones.
  e.signal = format == OrcFormat::kV2 ? (flags >> 2) & 1 : (e.type == Type::kRegs || e.type == Type::kRegsPartial);
  return e;
}

std::optional<OrcFormat> OrcFormatFromHeader(const unsigned char* hash20) {
  if (std::equal(hash20, hash20 + 20, kHeaderV3)) return OrcFormat::kV3;
  if (std::equal(hash20, hash20 + 20, kHeaderV2)) return OrcFormat::kV2;
  return std::nullopt;
}

const OrcFormatChoice& OrcUnwinder::Format() {
  if (format_) return *format_;
  // The kernel's own .orc_header, where it has one (6.4, and 6.3 from 6.3.10).
  Result<uint64_t> header = k_.Symbol("__start_orc_header"), header_end = k_.Symbol("__stop_orc_header");
  if (header && header_end && *header_end - *header == 20) {
    unsigned char hash[20];
    if (k_.memory.ReadVirtual(*header, hash, sizeof hash)) {
      if (std::optional<OrcFormat> f = OrcFormatFromHeader(hash)) return format_.emplace(OrcFormatChoice{*f, ".orc_header"});
    }
  }
  // The members of its struct orc_entry: `end` went in 6.4, `signal` came in 6.3.
  const bool has_end = k_.types.Has("orc_entry", "end"), has_signal = k_.types.Has("orc_entry", "signal");
  if (has_end || has_signal) {
    const OrcFormat f = has_signal ? (has_end ? OrcFormat::kV2 : OrcFormat::kV3) : OrcFormat::kV1;
    return format_.emplace(OrcFormatChoice{f, "struct orc_entry"});
  }
  // Its release, as a last resort (backports make this wrong for some vendor kernels).
  const auto [major, minor] = ReleaseVersion(k_.release);
  const OrcFormat f = major > 6 || (major == 6 && minor >= 4) ? OrcFormat::kV3
                      : major == 6 && minor == 3              ? OrcFormat::kV2
                                                              : OrcFormat::kV1;
  return format_.emplace(OrcFormatChoice{f, "release " + (k_.release.empty() ? std::string("unknown") : k_.release)});
}

OrcUnwinder::OrcUnwinder(const KernelContext& kernel, const ModuleList& modules) : k_(kernel), modules_(modules) {
  for (const char* field : {"r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx", "dx",
                            "si", "di", "ip", "cs", "flags", "sp", "ss"}) {
    if (auto off = k_.types.Offset("pt_regs", field)) pt_regs_[field] = *off;
  }
}

bool OrcUnwinder::Read(uint64_t address, uint64_t* value) {
  Result<uint64_t> v = k_.memory.ReadU64(address);
  if (!v) return false;
  *value = *v;
  return true;
}

// Reads both arrays of a table in one piece each; IPs become absolute.
static void Load(MemoryReader& memory, uint64_t ip_array, uint64_t entry_array, uint64_t count, std::vector<uint64_t>& ips,
                 std::vector<unsigned char>& entries, std::string& error) {
  if (count == 0 || count > kMaxEntries) {
    error = "ORC table of " + std::to_string(count) + " entries";
    return;
  }
  std::vector<unsigned char> raw(count * 4);
  entries.resize(count * kEntryBytes);
  if (Status s = memory.ReadVirtual(ip_array, raw.data(), raw.size()); !s) {
    error = "ORC table: " + s.error().message;
    return;
  }
  if (Status s = memory.ReadVirtual(entry_array, entries.data(), entries.size()); !s) {
    error = "ORC table: " + s.error().message;
    return;
  }
  ips.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    const int32_t rel = static_cast<int32_t>(uint32_t{raw[4 * i]} | uint32_t{raw[4 * i + 1]} << 8 |
                                             uint32_t{raw[4 * i + 2]} << 16 | uint32_t{raw[4 * i + 3]} << 24);
    ips[i] = ip_array + 4 * i + static_cast<uint64_t>(static_cast<int64_t>(rel));
  }
  if (!std::is_sorted(ips.begin(), ips.end())) {  // the kernel sorts both at build and load time
    std::vector<size_t> order(count);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ips[a] < ips[b]; });
    std::vector<uint64_t> sorted_ips(count);
    std::vector<unsigned char> sorted_entries(entries.size());
    for (size_t i = 0; i < count; ++i) {
      sorted_ips[i] = ips[order[i]];
      std::copy_n(entries.begin() + static_cast<std::ptrdiff_t>(order[i] * kEntryBytes), kEntryBytes,
                  sorted_entries.begin() + static_cast<std::ptrdiff_t>(i * kEntryBytes));
    }
    ips = std::move(sorted_ips);
    entries = std::move(sorted_entries);
  }
}

const OrcUnwinder::Table& OrcUnwinder::KernelTable() {
  if (kernel_) return *kernel_;
  kernel_.emplace();
  Result<uint64_t> ip_start = k_.Symbol("__start_orc_unwind_ip"), ip_stop = k_.Symbol("__stop_orc_unwind_ip"),
                   orc_start = k_.Symbol("__start_orc_unwind");
  if (!ip_start || !ip_stop || !orc_start) {
    kernel_->error = "no ORC tables in this kernel's symbols";
    return *kernel_;
  }
  Load(k_.memory, *ip_start, *orc_start, *ip_stop > *ip_start ? (*ip_stop - *ip_start) / 4 : 0, kernel_->ips,
       kernel_->entries, kernel_->error);
  return *kernel_;
}

const OrcUnwinder::Table& OrcUnwinder::ModuleTable(const LoadedModule& m) {
  auto [it, inserted] = module_tables_.try_emplace(m.address);
  if (inserted) Load(k_.memory, m.orc_ip, m.orc, m.num_orcs, it->second.ips, it->second.entries, it->second.error);
  return it->second;
}

bool OrcUnwinder::InKernelText(uint64_t ip) {
  if (!text_) {
    // The idle tasks' stacks still hold return addresses into start_kernel and its callers, whose
    // __init code is freed after boot but keeps its ORC entries: the kernel looks them up too.
    text_.emplace();
    for (auto [first, last] : {std::pair{"_stext", "_etext"}, std::pair{"_sinittext", "_einittext"}}) {
      Result<uint64_t> start = k_.Symbol(first), end = k_.Symbol(last);
      if (start && end && *start < *end) text_->emplace_back(*start, *end);
    }
    if (text_->empty()) text_->emplace_back(0, ~uint64_t{0});
  }
  for (const auto& [start, end] : *text_) {
    if (ip >= start && ip < end) return true;
  }
  return false;
}

std::optional<OrcUnwinder::FtraceCopy> OrcUnwinder::FtraceOriginal(uint64_t ip) {
  if (!trampolines_) {
    trampolines_.emplace();
    Result<uint64_t> head = k_.Symbol("ftrace_ops_list"), end = k_.Symbol("ftrace_list_end");
    Result<uint64_t> next_off = k_.types.Offset("ftrace_ops", "next");
    uint64_t ops = 0;
    if (head && end && next_off && Read(*head, &ops)) {
      for (int n = 0; n < 4096 && ops != 0 && ops != *end; ++n) {
        Result<KernelObject> o = k_.Object("ftrace_ops", ops);
        if (!o) break;
        Trampoline t;
        if (auto v = o->Unsigned("trampoline")) t.start = *v;
        if (auto v = o->Unsigned("trampoline_size")) t.size = *v;
        if (auto v = o->Unsigned("flags")) t.save_regs = (*v & (1u << 2)) != 0;  // FTRACE_OPS_FL_SAVE_REGS (stable since 3.7)
        if (t.start != 0 && t.size != 0) trampolines_->push_back(t);
        Result<uint64_t> next = o->Unsigned("next");
        if (!next) break;
        ops = *next;
      }
    }
  }
  for (const Trampoline& t : *trampolines_) {
    if (ip < t.start || ip - t.start >= t.size) continue;
    Result<uint64_t> caller = k_.Symbol(t.save_regs ? "ftrace_regs_caller" : "ftrace_caller");
    if (!caller) return std::nullopt;
    return FtraceCopy{*caller + (ip - t.start), t.start, t.size};
  }
  return std::nullopt;
}

std::optional<OrcEntry> OrcUnwinder::Find(uint64_t ip, std::string* why) {
  const LoadedModule* module = modules_.Containing(ip);
  if (module == nullptr && !InKernelText(ip)) {
    std::optional<FtraceCopy> copy = FtraceOriginal(ip);
    if (!copy || copy->original == ip) {
      *why = HexString(ip) + " is not kernel or module code";
      return std::nullopt;
    }
    ip = copy->original;
  }
  const Table& table = module != nullptr ? ModuleTable(*module) : KernelTable();
  if (!table.error.empty()) {
    *why = (module != nullptr ? "module " + module->name + ": " : "") + table.error;
    return std::nullopt;
  }
  auto it = std::upper_bound(table.ips.begin(), table.ips.end(), ip);
  if (it == table.ips.begin()) {
    *why = "no ORC entry for " + HexString(ip);
    return std::nullopt;
  }
  const size_t index = static_cast<size_t>(it - table.ips.begin()) - 1;
  return DecodeOrcEntry(table.entries.data() + index * kEntryBytes, Format().format);
}

bool OrcUnwinder::RegsField(const UnwindState& s, const char* field, uint64_t* value) {
  auto off = pt_regs_.find(field);
  if (s.regs == 0 || off == pt_regs_.end()) return false;
  // A partial frame saved only the iret frame: ip, cs, flags, sp, ss.
  if (!s.full_regs && off->second < pt_regs_["ip"]) return false;
  return Read(s.regs + off->second, value);
}

OrcResult OrcUnwinder::Step(UnwindState& s, std::string* why) {
  using Type = OrcEntry::Type;
  std::optional<OrcEntry> orc = Find(s.exact_ip ? s.ip : s.ip - 1, why);
  if (!orc) return OrcResult::kNoEntry;
  if (orc->type == Type::kEndOfStack) return OrcResult::kEnd;
  if (orc->type == Type::kUndefined || orc->sp_reg == kRegUndefined) {
    *why = "ORC says the stack is undefined at " + HexString(s.ip);
    return OrcResult::kUnsupported;
  }
  uint64_t sp = 0;
  bool indirect = false;
  switch (orc->sp_reg) {
    case kRegSp: sp = s.sp + static_cast<uint64_t>(int64_t{orc->sp_offset}); break;
    case kRegBp:
      if (!s.bp) {
        *why = "the frame's BP is unknown at " + HexString(s.ip);
        return OrcResult::kUnsupported;
      }
      sp = *s.bp + static_cast<uint64_t>(int64_t{orc->sp_offset});
      break;
    case kRegSpIndirect: sp = s.sp; indirect = true; break;
    case kRegBpIndirect:
      if (!s.bp) {
        *why = "the frame's BP is unknown at " + HexString(s.ip);
        return OrcResult::kUnsupported;
      }
      sp = *s.bp + static_cast<uint64_t>(int64_t{orc->sp_offset});
      indirect = true;
      break;
    case kRegR10: case kRegR13: case kRegDi: case kRegDx: {
      const char* field = orc->sp_reg == kRegR10 ? "r10" : orc->sp_reg == kRegR13 ? "r13" : orc->sp_reg == kRegDi ? "di" : "dx";
      if (!RegsField(s, field, &sp)) {
        *why = std::string("ORC needs register ") + field + " at " + HexString(s.ip) + ", which was not saved";
        return OrcResult::kUnsupported;
      }
      break;
    }
    default:
      *why = "unknown ORC register " + std::to_string(orc->sp_reg) + " at " + HexString(s.ip);
      return OrcResult::kUnsupported;
  }
  if (indirect) {
    if (!Read(sp, &sp)) {
      *why = "unreadable stack at " + HexString(sp);
      return OrcResult::kUnreadable;
    }
    if (orc->sp_reg == kRegSpIndirect) sp += static_cast<uint64_t>(int64_t{orc->sp_offset});
  }

  UnwindState next;
  switch (orc->type) {
    case Type::kCall:
      if (!Read(sp - 8, &next.ip)) {
        *why = "unreadable return address at " + HexString(sp - 8);
        return OrcResult::kUnreadable;
      }
      next.sp = sp;
      break;
    case Type::kRegs:
    case Type::kRegsPartial: {
      // sp is the pt_regs (REGS) or its iret frame (REGS_PARTIAL).
      const uint64_t ip_off = pt_regs_.count("ip") ? pt_regs_["ip"] : 128;
      next.regs = orc->type == Type::kRegs ? sp : sp - ip_off;
      next.full_regs = orc->type == Type::kRegs;
      uint64_t cs = 0;
      if (!RegsField(next, "ip", &next.ip) || !RegsField(next, "sp", &next.sp)) {
        *why = "unreadable pt_regs at " + HexString(next.regs);
        return OrcResult::kUnreadable;
      }
      if (RegsField(next, "cs", &cs) && (cs & 3) != 0) {
        *why = "user mode (the system call or interrupt came from user space)";
        s = next;
        s.exact_ip = true;
        return OrcResult::kEnd;
      }
      next.exact_ip = true;
      break;
    }
    default:
      *why = "unknown ORC frame type at " + HexString(s.ip);
      return OrcResult::kUnsupported;
  }
  // BP of the previous frame.
  switch (orc->bp_reg) {
    case kRegUndefined: {
      uint64_t bp = 0;
      if (RegsField(next, "bp", &bp)) next.bp = bp;
      else next.bp = s.bp;
      break;
    }
    case kRegPrevSp: {
      uint64_t bp = 0;
      if (!Read(sp + static_cast<uint64_t>(int64_t{orc->bp_offset}), &bp)) {
        *why = "unreadable saved BP";
        return OrcResult::kUnreadable;
      }
      next.bp = bp;
      break;
    }
    case kRegBp: {
      uint64_t bp = 0;
      if (!s.bp || !Read(*s.bp + static_cast<uint64_t>(int64_t{orc->bp_offset}), &bp)) {
        next.bp.reset();
      } else {
        next.bp = bp;
      }
      break;
    }
    default: next.bp.reset(); break;
  }
  s = next;
  return OrcResult::kStepped;
}

}  // namespace ktriage::kernel
