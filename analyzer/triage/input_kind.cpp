// Name and content sniffing for triage inputs.
#include "analyzer/triage/input_kind.h"

#include <array>
#include <cstring>

#include "analyzer/ingest/line_decoder.h"
#include "analyzer/ingest/member_name.h"

namespace ktriage::triage {
namespace {

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// "kern.log.2.gz" -> "kern.log"; "messages-20261122" -> "messages"; "dmesg.0" -> "dmesg".
std::string_view StripRotation(std::string_view name) {
  for (bool changed = true; changed;) {
    changed = false;
    for (std::string_view ext : {".gz", ".xz", ".zst", ".bz2", ".lz4", ".Z"}) {
      if (EndsWith(name, ext) && name.size() > ext.size()) {
        name.remove_suffix(ext.size());
        changed = true;
      }
    }
    const size_t cut = name.find_last_of(".-");
    if (cut != std::string_view::npos && cut + 1 < name.size() && cut > 0) {
      std::string_view tail = name.substr(cut + 1);
      bool digits = true;
      for (char c : tail) digits = digits && c >= '0' && c <= '9';
      if (digits) {
        name = name.substr(0, cut);
        changed = true;
      }
    }
  }
  return name;
}

bool HasDirectory(std::string_view path, std::string_view dirs) {
  // `dirs` as "var/log/": at the start of the path or of a member, or after a '/'.
  for (size_t at = path.find(dirs); at != std::string_view::npos; at = path.find(dirs, at + 1)) {
    if (at == 0 || path[at - 1] == '/' || path[at - 1] == kMemberSeparator) return true;
  }
  return false;
}

}  // namespace

std::string_view BaseName(std::string_view path) {
  const size_t cut = path.find_last_of(std::string("/") + kMemberSeparator);
  return cut == std::string_view::npos ? path : path.substr(cut + 1);
}

ContainerKind SniffContainer(std::string_view h) {
  auto magic = [&](size_t at, std::string_view m) { return h.size() >= at + m.size() && h.substr(at, m.size()) == m; };
  if (magic(0, "\x1f\x8b") || magic(0, "\x1f\x9d") || magic(0, std::string_view("\xfd" "7zXZ\0", 6)) ||
      magic(0, "\x28\xb5\x2f\xfd") || magic(0, "\x04\x22\x4d\x18") ||
      (magic(0, "BZh") && h.size() > 3 && h[3] >= '1' && h[3] <= '9')) {
    return ContainerKind::kCompressed;
  }
  if (magic(257, "ustar")) return ContainerKind::kArchive;
  if (magic(0, "PK\x03\x04") || magic(0, "PK\x05\x06")) return ContainerKind::kArchive;
  if (magic(0, "070701") || magic(0, "070702") || magic(0, "070707") || magic(0, "\xc7\x71") || magic(0, "\x71\xc7")) {
    return ContainerKind::kArchive;
  }
  return ContainerKind::kNone;
}

bool HasDumpMagic(std::string_view h) {
  if (StartsWith(h, "KDUMP   ") || StartsWith(h, "DISKDUMP")) return true;
  if (h.size() >= 16 && std::memcmp(h.data(), "makedumpfile\0\0\0\0", 16) == 0) return true;
  // ELF: e_type ET_CORE (4) in either byte order; the rest is IsDump's to check.
  if (h.size() >= 18 && StartsWith(h, "\x7f" "ELF")) {
    const bool little = h[5] == 1;
    const unsigned char lo = static_cast<unsigned char>(h[little ? 16 : 17]);
    const unsigned char hi = static_cast<unsigned char>(h[little ? 17 : 16]);
    return lo == 4 && hi == 0;
  }
  return false;
}

std::string_view SkipLeadingNuls(std::string_view head) {
  const size_t text = head.find_first_not_of('\0');
  return text == std::string_view::npos ? std::string_view() : head.substr(text);
}

bool LooksBinary(std::string_view head) {
  const std::string_view text = SkipLeadingNuls(head);
  return text.empty() ? !head.empty() : text.substr(0, kSniffBytes).find('\0') != std::string_view::npos;
}

bool IsKernelLogName(std::string_view path) {
  if (HasDirectory(path, "var/log/") || HasDirectory(path, "sos_commands/kernel/")) return true;
  const std::string_view base = BaseName(path);
  if (base == "vmcore-dmesg.txt") return true;
  const std::string_view name = StripRotation(base);
  if (StartsWith(name, "dmesg") || StartsWith(name, "kern.log") || StartsWith(name, "messages") ||
      StartsWith(name, "syslog")) {
    return true;
  }
  if (StartsWith(name, "console") && EndsWith(name, ".log")) return true;
  if (StartsWith(name, "journal") && (EndsWith(name, ".txt") || EndsWith(name, ".json"))) return true;
  return false;
}

bool LooksLikeKernelLog(std::string_view head) {
  head = SkipLeadingNuls(head).substr(0, kSniffBytes);
  static constexpr std::array<std::string_view, 7> kReportWords = {
      "Linux version ", "Call Trace:", "Kernel panic - not syncing", "BUG: ", "WARNING: CPU: ", "Oops: ",
      "watchdog: "};
  LineDecoder decoder;
  uint64_t number = 0;
  size_t start = 0;
  while (start < head.size()) {
    size_t end = head.find('\n', start);
    // The last line may be cut by the sniff window; it still counts, a prefix decodes the same.
    if (end == std::string_view::npos) end = head.size();
    std::string_view raw = head.substr(start, end - start);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    LogLine line = decoder.Decode(raw, ++number);
    if (line.kernel && line.format != LogFormat::kPlain) return true;
    if (line.kernel) {
      for (std::string_view w : kReportWords) {
        if (line.text.find(w) != std::string_view::npos) return true;
      }
    }
    start = end + 1;
  }
  return false;
}

KdumpPart KdumpPartOf(std::string_view path) {
  const std::string_view base = BaseName(path);
  const std::string_view dir = path.substr(0, path.size() - base.size());
  KdumpPart part;
  if (base == "vmcore") {
    part = {KdumpRole::kDump, std::string(dir)};
  } else if (base == "vmcore-dmesg.txt") {
    part = {KdumpRole::kDmesg, std::string(dir)};
  } else if (StartsWith(base, "dump.") && base.size() > 5) {
    part = {KdumpRole::kDump, std::string(dir) + std::string(base.substr(5))};
  } else if (StartsWith(base, "dmesg.") && base.size() > 6) {
    part = {KdumpRole::kDmesg, std::string(dir) + std::string(base.substr(6))};
  }
  return part;
}

}  // namespace ktriage::triage
