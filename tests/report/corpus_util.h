// Helpers shared by the corpus tests: reading corpus files and running the text pipeline on them.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "analyzer/ingest/input_source.h"
#include "analyzer/report/log_analysis.h"

namespace ktriage::testing {

inline std::filesystem::path SourceDir() { return KTRIAGE_SOURCE_DIR; }

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One analyzer for the whole test binary: compiling the catalog is the expensive part.
inline const LogAnalyzer& SharedAnalyzer() {
  static const std::shared_ptr<const LogAnalyzer> analyzer = *LogAnalyzer::Create();
  return *analyzer;
}

inline LogAnalysis AnalyzeText(const std::string& text) {
  auto src = MemoryInput(text, "<test>");
  return SharedAnalyzer().Analyze(*src).analysis;
}

}  // namespace ktriage::testing
