// Which files are triage inputs: decided from a name and the first bytes, before anything is read
// in full (a sosreport holds thousands of files, most of them no kernel log).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ktriage::triage {

// How many leading bytes the sniffers look at.
inline constexpr size_t kSniffBytes = 4096;

enum class ContainerKind {
  kNone,        // plain bytes
  kCompressed,  // gzip, xz, zstd, bzip2, lz4, compress: a compressed file or a compressed archive
  kArchive,     // tar, zip or cpio, uncompressed
};
// By magic number only; libarchive then decides (a .tar.gz is kCompressed here).
ContainerKind SniffContainer(std::string_view head);

// A cheap first test for a crash dump (ELF core, diskdump/kdump, makedumpfile flattened
// signatures); IsDump (analyzer/vmcore) confirms it on the file.
bool HasDumpMagic(std::string_view head);

// Leading NUL bytes to look past, at most: a log truncated in place while a writer kept its offset
// (logrotate's copytruncate) starts with as many NULs as it held before, then goes on as text.
inline constexpr size_t kMaxLeadingNuls = size_t{1} << 30;

// `head` after its leading NUL bytes: where a NUL-padded log's text starts.
std::string_view SkipLeadingNuls(std::string_view head);

// Binary: a NUL byte in the first kSniffBytes after the leading NULs, or nothing but NULs. Logs
// never have one there (NULs a crash leaves in a log come later, if at all).
bool LooksBinary(std::string_view head);

// By name: dmesg*, kern.log*, messages*, syslog*, console*.log, vmcore-dmesg.txt, journal*.txt,
// journal*.json (compression suffixes and rotation numbers allowed), and any file under a
// `var/log/` or `sos_commands/kernel/` directory. `path` may be a member name (`a.tar!var/log/x`).
bool IsKernelLogName(std::string_view path);

// By content (after the leading NULs): a line of the head is a kernel message in a known transport (dmesg, syslog or journal
// "kernel:", kmsg...), or it reads like a kernel report ("Linux version", "Call Trace:", ...).
bool LooksLikeKernelLog(std::string_view head);

// kdump layouts: Debian `<dir>/dump.<stamp>` + `<dir>/dmesg.<stamp>`, RHEL `<dir>/vmcore` +
// `<dir>/vmcore-dmesg.txt`. Both parts of one crash share `key` (the directory and the stamp).
enum class KdumpRole { kNone, kDump, kDmesg };
struct KdumpPart {
  KdumpRole role = KdumpRole::kNone;
  std::string key;
};
KdumpPart KdumpPartOf(std::string_view path);

// The last component of `path` (after '/' or the member separator).
std::string_view BaseName(std::string_view path);

}  // namespace ktriage::triage
