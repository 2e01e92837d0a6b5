// The bytes VmcoreContents travels in from the child process that reads a dump (ReadVmcore's
// isolation) to its parent: a private format of one build of ktriage, never stored or shared.
#pragma once

#include <string>
#include <string_view>

#include "analyzer/vmcore/vmcore_analysis.h"
#include "base/result.h"

namespace ktriage {

std::string EncodeVmcoreContents(const VmcoreContents& contents);

// Errors only for bytes that EncodeVmcoreContents did not write (a child cut short).
Result<VmcoreContents> DecodeVmcoreContents(std::string_view bytes);

}  // namespace ktriage
