// The rules tests' way into the pipeline: one input through pipeline::AnalyzeInput with its
// reports kept, as `analyze` classifies it.
#pragma once

#include <memory>
#include <string>

#include "analyzer/pipeline/input_pipeline.h"

namespace ktriage::rules {

inline InputResult ClassifyLog(InputSource& source, std::shared_ptr<const LogAnalyzer> analyzer,
                               std::shared_ptr<const RuleEngine> engine) {
  pipeline::InputOptions options;
  options.keep_reports = true;
  pipeline::Input input;
  input.name = source.name();
  input.log = &source;
  return pipeline::AnalyzeInput(input, pipeline::Tools{std::move(analyzer), std::move(engine)}, options);
}

// A file by its content: a log, or a crash dump (its log with caller ids, its own facts).
inline InputResult ClassifyPath(const std::string& path, std::shared_ptr<const LogAnalyzer> analyzer,
                                std::shared_ptr<const RuleEngine> engine) {
  pipeline::InputOptions options;
  options.keep_reports = true;
  options.dump.symbols = false;  // the CPUs' PCs play no part in rules
  pipeline::Input input;
  input.path = path;
  return pipeline::AnalyzeInput(input, pipeline::Tools{std::move(analyzer), std::move(engine)}, options);
}

}  // namespace ktriage::rules
