// What `ktriage history` prints of the signatures it found: text for people, or JSON.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "analyzer/history/history_query.h"

namespace ktriage::history {

// One signature with every host and example (`history signature SIG`).
void WriteSignature(std::ostream& out, const SignatureFacts& facts, bool json);
// A list (`history top`, `history new`) under `heading` (text only), five hosts each.
void WriteSignatures(std::ostream& out, const std::vector<SignatureFacts>& rows, const std::string& heading, bool json);

}  // namespace ktriage::history
