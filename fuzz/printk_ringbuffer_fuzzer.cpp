// Fuzz target: the printk log readers (the lockless ring buffer of 5.10+ and the structured
// log_buf of 3.5-5.9) over a small memory image carved from the input, read through the
// in-memory MemoryReader the tests use (tests/vmcore/fake_memory.h), so no dump file is needed.
//
// Input: a mode byte (bits 0-1: 0/1 lockless, 2 structured "printk_log" with caller, 3 old "log"
// without; bits 2-3: how many VMCOREINFO numbers to overwrite; bit 4: take the ring's pointers from
// the input instead of pointing them at the mapped regions; bit 5: append text to VMCOREINFO), the
// overwrites (u8 line, u16 value), the appended text (u8 length, bytes), the layout's variables,
// then the bytes of its regions (zeros once the input runs out).
// fuzz/make-seeds.sh writes seeds in this format.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/vmcore/printk_log.h"
#include "analyzer/vmcore/vmcoreinfo.h"
#include "fuzz/fuzz_input.h"
#include "tests/vmcore/fake_memory.h"
#include "tests/vmcore/printk_vmcoreinfo.h"

namespace {

using namespace ktriage;
using testing::FakeMemory;
using testing::kLocklessInfo;


std::string StructuredInfo(bool old_name) {
  const std::string t = old_name ? "log" : "printk_log";
  std::string text =
      "OSRELEASE=5.4.0-150-generic\n"
      "SYMBOL(log_buf)=ffffffff82455ba8\n"
      "SYMBOL(log_buf_len)=ffffffff82455ba0\n"
      "SYMBOL(log_first_idx)=ffffffff82e1d1f0\n"
      "SYMBOL(log_next_idx)=ffffffff82e1d1f8\n"
      "SIZE(" + t + ")=" + (old_name ? "16" : "24") + "\n"
      "OFFSET(" + t + ".ts_nsec)=0\n"
      "OFFSET(" + t + ".len)=8\n"
      "OFFSET(" + t + ".text_len)=10\n"
      "OFFSET(" + t + ".dict_len)=12\n";
  if (!old_name) text += "OFFSET(" + t + ".caller_id)=16\n";
  return text;
}

// Replaces the number of line `index` (mod the line count) by `value`, in the line's own base.
std::string Overwrite(std::string_view info, uint8_t index, uint16_t value) {
  std::vector<std::string_view> lines;
  fuzz::ForEachLine(info, [&](std::string_view line) { lines.push_back(line); });
  std::string out;
  const size_t target = lines.empty() ? 0 : index % lines.size();
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (i == target) {
      const size_t eq = line.find('=');
      if (eq != std::string_view::npos) {
        char number[24];
        std::snprintf(number, sizeof number, line.substr(0, 7) == "SYMBOL(" ? "%x" : "%u", value);
        out.append(line.substr(0, eq + 1)).append(number).push_back('\n');
        continue;
      }
    }
    out.append(line).push_back('\n');
  }
  return out;
}

// Maps `size` bytes at `address` (at most `cap`) and fills them from the input.
void Region(FakeMemory& memory, fuzz::FuzzInput& in, uint64_t address, uint64_t size, uint64_t cap) {
  const size_t mapped = static_cast<size_t>(size < cap ? size : cap);
  memory.Map(address, mapped);
  const std::string_view bytes = in.Bytes(mapped);
  memory.Bytes(address, bytes.data(), bytes.size());
}

void BuildLockless(FakeMemory& memory, fuzz::FuzzInput& in, bool raw_pointers) {
  constexpr uint64_t kPrbPointer = 0xffffffff82a62540, kRing = 0xffffffff82a62560;
  constexpr uint64_t kDescs = 0xffffffff83000000, kInfos = 0xffffffff83100000, kData = 0xffffffff83200000;
  const uint8_t count_bits = in.U8(), size_bits = in.U8();
  memory.Map(kPrbPointer, 8);
  memory.U64(kPrbPointer, kRing);
  memory.Map(kRing, 88);
  memory.U32(kRing + 0, count_bits);
  memory.U64(kRing + 24, in.U64());  // head_id
  memory.U64(kRing + 32, in.U64());  // tail_id
  memory.U32(kRing + 48, size_bits);
  memory.U64(kRing + 64, in.U64());  // head_lpos
  memory.U64(kRing + 72, in.U64());  // tail_lpos
  memory.U64(kRing + 8, raw_pointers ? in.U64() : kDescs);
  memory.U64(kRing + 16, raw_pointers ? in.U64() : kInfos);
  memory.U64(kRing + 56, raw_pointers ? in.U64() : kData);
  // The sizes the ring claims are written as they are; only what is mapped is capped (reads
  // beyond it fail, as reads of pages missing from a dump do).
  const uint64_t count = uint64_t{1} << (count_bits < 10 ? count_bits : 10);
  Region(memory, in, kDescs, count * 24, count * 24);
  Region(memory, in, kInfos, count * 88, count * 88);
  Region(memory, in, kData, uint64_t{1} << (size_bits < 16 ? size_bits : 16), uint64_t{1} << 16);
}

void BuildStructured(FakeMemory& memory, fuzz::FuzzInput& in, bool raw_pointers) {
  constexpr uint64_t kLogBufPointer = 0xffffffff82455ba8, kLogBufLen = 0xffffffff82455ba0;
  constexpr uint64_t kFirstIdx = 0xffffffff82e1d1f0, kNextIdx = 0xffffffff82e1d1f8;
  constexpr uint64_t kBuffer = 0xffffffff82e5c3a0;
  for (uint64_t a : {kLogBufPointer, kLogBufLen, kFirstIdx, kNextIdx}) memory.Map(a, 8);
  const uint32_t length = in.U32();
  memory.U32(kLogBufLen, length);
  memory.U32(kFirstIdx, in.U32());
  memory.U32(kNextIdx, in.U32());
  memory.U64(kLogBufPointer, raw_pointers ? in.U64() : kBuffer);
  Region(memory, in, kBuffer, length, uint64_t{1} << 16);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  const uint8_t mode = in.U8();
  const int layout = mode & 3;
  std::string info_text = layout < 2 ? std::string(kLocklessInfo) : StructuredInfo(layout == 3);
  for (int i = 0; i < ((mode >> 2) & 3); ++i) {
    const uint8_t line = in.U8();
    info_text = Overwrite(info_text, line, in.U16());
  }
  // Free text appended to the note: malformed lines, repeated keys, numbers that overflow.
  if ((mode & 0x20) != 0) info_text += in.Bytes(in.U8());
  Result<VmcoreInfo> info = VmcoreInfo::Parse(info_text);
  if (!info) return 0;

  FakeMemory memory;
  const bool raw_pointers = (mode & 0x10) != 0;
  if (layout < 2) BuildLockless(memory, in, raw_pointers);
  else BuildStructured(memory, in, raw_pointers);

  Result<PrintkLog> log = ReadPrintkLog(memory, *info);
  // FUZZ_VERBOSE=1: what an input decodes to, for checking that seeds reach the records.
  static const bool verbose = std::getenv("FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "layout %d: %s\n", layout,
                 log ? (std::to_string(log->records.size()) + " records, " + std::to_string(log->skipped_records) +
                        " skipped, " + std::to_string(log->warnings.size()) + " warnings")
                           .c_str()
                     : log.error().message.c_str());
    if (log && !log->warnings.empty()) std::fprintf(stderr, "  %s\n", log->warnings.front().c_str());
  }
  if (!log) return 0;
  uint64_t previous = 0;
  for (const PrintkRecord& record : log->records) {
    if (record.level > 7) std::abort();
    if (log->layout == PrintkLog::Layout::kLockless && &record != &log->records.front() && record.sequence < previous)
      std::abort();  // "in sequence order"
    previous = record.sequence;
  }
  (void)FormatPrintkLog(*log, true);
  (void)FormatPrintkLog(*log, false);
  return 0;
}
