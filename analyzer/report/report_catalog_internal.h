// Compiled forms of the catalog's classes, shared by the catalog and the title extractor only.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <vector>

#include "analyzer/report/report_catalog.h"

namespace ktriage {

struct CompiledStack {
  // nullptr stands for "@stack".
  std::vector<std::unique_ptr<re2::RE2>> parts;
  std::vector<std::vector<std::unique_ptr<re2::RE2>>> fallbacks;
  std::unique_ptr<re2::RE2> skip;  // the format's own skip patterns (null if none); see generic_frames()
  FrameExtractor extractor = FrameExtractor::kFirst;
};

struct ReportCatalog::CompiledFormat {
  const TitleFormat* source = nullptr;
  std::unique_ptr<re2::RE2> title;
  // The literal every match of `title` starts with ("BUG: KASAN:"); a memmem for it rules out most
  // formats before their regex scans the whole report. Empty when the regex has no such prefix.
  std::string title_literal;
  std::unique_ptr<re2::RE2> report;
  std::unique_ptr<CompiledStack> stack;
};

struct ReportCatalog::CompiledClass {
  ReportClass source;
  std::vector<std::unique_ptr<re2::RE2>> suppressions;
  std::vector<CompiledFormat> formats;
};

// The literal prefix of a regex (up to its first metacharacter), "" if shorter than 4 bytes.
std::string LiteralPrefix(std::string_view re);

// Expands {{PC}}, {{FUNC}}, {{SRC}}, {{ADDR}}, {{RIP}} in a catalog regex.
std::string ExpandCatalogRegex(std::string_view re);

// Options shared by every catalog regex: Go/Perl syntax, errors returned, never logged.
re2::RE2::Options CatalogRegexOptions();

}  // namespace ktriage
