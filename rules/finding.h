// Finding: a rule that held on an input, with the lines that show it. Written into the JSON
// `findings` of its input (docs/json.md) and the text summary.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ktriage::rules {

struct EvidenceLine {
  uint64_t line = 0;  // 1-based line number in the (decompressed) input or the dump's log
  std::string text;
  bool operator==(const EvidenceLine&) const = default;
};

struct Finding {
  std::string rule_id;
  std::string title;
  std::string severity;                      // SeverityName
  std::string summary;                       // the rule's summary with its fields filled in
  std::optional<size_t> report;              // index of the report in the input's `reports`
  bool corroborated = false;                 // one of the rule's `evidence` conditions held too
  std::vector<EvidenceLine> evidence;        // by line number
  std::map<std::string, std::string> fields; // captures and report fields the summary could use
};

}  // namespace ktriage::rules
