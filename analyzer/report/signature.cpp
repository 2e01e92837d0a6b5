// FNV-1a over a versioned, unambiguous encoding: the same crash hashes the same on every run,
// machine and ktriage version until the "sig/1" prefix changes.
#include "analyzer/report/signature.h"

#include <re2/re2.h>

#include <cstdio>

#include "analyzer/report/report_fields.h"

namespace ktriage {
namespace {

void Mix(uint64_t& h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= 0xff;  // field separator that cannot occur in names
  h *= 0x100000001b3ULL;
}

}  // namespace

std::string ComputeSignature(const CrashReport& report, const re2::RE2* generic_frames, TitleCache* cache) {
  uint64_t h = 0xcbf29ce484222325ULL;
  Mix(h, "ktriage-sig/1");
  Mix(h, ReportKindName(report.kind));
  size_t used = 0;
  for (const auto& f : report.frames) {
    if (used == kSignatureFrames) break;
    if (!f.reliable || f.function.empty()) continue;
    std::string name = NormalizeFunctionName(f.function);
    if (generic_frames &&
        (cache ? cache->Matches(*generic_frames, name) : re2::RE2::PartialMatch(name, *generic_frames)))
      continue;
    Mix(h, name);
    ++used;
  }
  if (used == 0) Mix(h, report.title);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace ktriage
