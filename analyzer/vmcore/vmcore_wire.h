// The bytes VmcoreContents travels in from the reader process (ktriage-dump-reader, ReadVmcore's
// isolation) to ktriage: a private format of one build of ktriage, never stored or shared.
#pragma once

#include <string>
#include <string_view>

#include "analyzer/vmcore/vmcore_analysis.h"
#include "base/result.h"

namespace ktriage {

// Leads every encoding; bump the number whenever a Visit list in vmcore_wire.cpp changes, so that
// a reader of another build is refused by name instead of misread.
inline constexpr std::string_view kVmcoreWireMagic = "ktriage-vmcore-wire/1\n";

std::string EncodeVmcoreContents(const VmcoreContents& contents);

// Errors only for bytes that EncodeVmcoreContents did not write (a child cut short).
Result<VmcoreContents> DecodeVmcoreContents(std::string_view bytes);

}  // namespace ktriage
