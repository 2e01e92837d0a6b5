// Symbolizer: chooses the binary for a frame, checks it against what the log says, and asks
// DebugBinary for the source.
#include "symbols/symbolizer.h"

#include <algorithm>

#include "base/text.h"
#include "symbols/debug_binary.h"

namespace ktriage::symbols {
namespace {

std::string FrameText(const FrameRef& f) {
  std::string s = f.function + "+" + HexString(f.offset);
  if (f.size) s += "/" + HexString(*f.size);
  if (!f.module.empty()) s += " [" + f.module + "]";
  return s;
}

}  // namespace

Symbolizer::Symbolizer(SymbolizerOptions options) : options_(std::move(options)), locator_(options_.search) {}
Symbolizer::~Symbolizer() = default;

void Symbolizer::Note(const std::string& line) {
  if (std::find(notes_.begin(), notes_.end(), line) == notes_.end()) notes_.push_back(line);
}

std::vector<std::string> Symbolizer::Notes() const {
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(mutex_));
  return notes_;
}

Symbolizer::Loaded& Symbolizer::Binary(const std::string& module, const std::string& build_id) {
  const std::string key = module.empty() ? "" : NormalisedModuleName(module) + (build_id.empty() ? "" : " " + build_id);
  auto [it, fresh] = loaded_.try_emplace(key);
  Loaded& slot = it->second;
  if (!fresh) return slot;

  const std::string what = module.empty() ? "vmlinux" : "module " + module;
  // The build-id the file must have: the log's (modules) or the dump's (vmlinux).
  const std::string& wanted_id = module.empty() ? options_.vmlinux_build_id : build_id;
  Located found;
  if (module.empty() && !options_.vmlinux.empty()) {
    found.files.push_back(options_.vmlinux);
    found.searched = options_.vmlinux;
  } else if (module.empty()) {
    found = locator_.Vmlinux(options_.release, wanted_id);
  } else {
    found = locator_.Module(module, options_.release, build_id);
  }
  std::vector<std::string> rejected;
  for (const std::string& file : found.files) {
    Result<std::unique_ptr<DebugBinary>> opened = DebugBinary::Open(file);
    if (!opened.ok()) {
      rejected.push_back(opened.error().message);
      continue;
    }
    std::unique_ptr<DebugBinary> binary = std::move(*opened);
    if (!wanted_id.empty() && !binary->build_id().empty() && binary->build_id() != wanted_id) {
      rejected.push_back(file + " has build-id " + binary->build_id() + ", not " + wanted_id);
      continue;
    }
    if (!binary->has_dwarf()) {
      // A stripped file (an installed module): its build-id may find the debuginfo.
      std::string searched;
      std::string debug = binary->build_id().empty() ? "" : locator_.ByBuildId(binary->build_id(), &searched);
      Result<std::unique_ptr<DebugBinary>> full = debug.empty() ? Result<std::unique_ptr<DebugBinary>>(Error{""})
                                                                : DebugBinary::Open(debug);
      if (full.ok() && (*full)->has_dwarf() && (*full)->build_id() == binary->build_id()) {
        slot.binary = std::move(*full);
        return slot;
      }
      rejected.push_back(file + " has no DWARF" + (searched.empty() ? "" : " and none was found by build-id (" + searched + ")"));
      continue;
    }
    slot.binary = std::move(binary);
    return slot;
  }
  if (found.files.empty()) {
    slot.problem = "no debuginfo for " + what + " (searched: " + (found.searched.empty() ? "nothing: give --vmlinux, -r or --modules" : found.searched) + ")";
  } else {
    slot.problem = "no usable debuginfo for " + what + ": ";
    for (size_t i = 0; i < rejected.size(); ++i) slot.problem += (i ? "; " : "") + rejected[i];
  }
  Note(slot.problem);
  return slot;
}

Result<Symbolized> Symbolizer::Describe(DebugBinary& binary, uint64_t address, bool return_address) {
  // A return address points after the call; the call itself is one byte earlier.
  Result<AddressInfo> info = binary.Describe(return_address ? address - 1 : address);
  if (!info.ok()) return info.error();
  return Symbolized{std::move(*info), binary.path()};
}

Result<Symbolized> Symbolizer::Resolve(const FrameRef& frame) {
  std::lock_guard<std::mutex> lock(mutex_);
  Loaded& slot = Binary(frame.module, frame.build_id);
  if (!slot.binary) return Error{slot.problem};
  DebugBinary& binary = *slot.binary;
  std::vector<SymbolCandidate> candidates = binary.FindSymbol(frame.function);
  if (candidates.empty()) return Error{FrameText(frame) + ": " + binary.path() + " has no symbol " + frame.function};
  const SymbolCandidate* chosen = nullptr;
  if (frame.size) {
    for (const SymbolCandidate& c : candidates) {
      if (c.size == *frame.size || (!c.size_known && *frame.size <= c.size)) {
        chosen = &c;
        break;
      }
    }
    if (!chosen) {
      std::string sizes;
      for (const SymbolCandidate& c : candidates) sizes += (sizes.empty() ? "" : ", ") + HexString(c.size);
      const std::string line = binary.path() + " does not match the kernel that printed the log: " + FrameText(frame) +
                               ", but its " + frame.function + " is " + sizes + " bytes long";
      Note(line);
      return Error{line};
    }
  } else if (candidates.size() == 1) {
    chosen = &candidates[0];
  } else {
    return Error{FrameText(frame) + ": " + std::to_string(candidates.size()) + " symbols are named " + frame.function +
                 " in " + binary.path() + ", and the log gives no size to choose"};
  }
  // A return address may equal the size: a call as the function's last instruction (a noreturn
  // call) returns to the next symbol's first byte, and pc - 1 is still in this function.
  const bool returns_at_end = frame.return_address && frame.offset > 0 && frame.offset == chosen->size;
  if (chosen->size_known && frame.offset >= chosen->size && !returns_at_end && !(frame.offset == 0 && chosen->size == 0)) {
    return Error{FrameText(frame) + ": the offset lies beyond " + frame.function + " in " + binary.path()};
  }
  // An offset of 0 is the start of the function, never a return address into it.
  return Describe(binary, chosen->address + frame.offset, frame.return_address && frame.offset > 0);
}

const std::string* Symbolizer::Unusable(const std::string& module, const std::string& build_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Loaded& slot = Binary(module, build_id);
  return slot.binary ? nullptr : &slot.problem;  // map nodes never move
}

Result<Symbolized> Symbolizer::ResolveKernelAddress(uint64_t address, uint64_t kernel_offset, bool return_address) {
  std::lock_guard<std::mutex> lock(mutex_);
  Loaded& slot = Binary("", "");
  if (!slot.binary) return Error{slot.problem};
  return Describe(*slot.binary, address - kernel_offset, return_address);
}

}  // namespace ktriage::symbols
