// Where machine code comes from in the source: a file and line, and the chain of inlined calls.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ktriage::symbols {

struct SourceLocation {
  std::string file;  // relative to the kernel tree when the build directory is recognised
  int line = 0;
  int column = 0;
  std::string ToString() const;  // "net/core/dev.c:4214"
};

struct InlinedFunction {
  std::string function;
  SourceLocation source;  // the line inside `function`
};

// What an address is in the source: the function that owns the machine code, the line in it
// (the call site of the outermost inlined function, when there is one), and the inlined calls
// from the innermost out, as `eu-addr2line -i` prints them.
struct AddressInfo {
  std::string function;
  std::optional<SourceLocation> source;  // none when the line table does not cover the address
  std::vector<InlinedFunction> inlined;
};

}  // namespace ktriage::symbols
