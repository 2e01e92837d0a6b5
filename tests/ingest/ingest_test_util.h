// Helpers for the ingest tests: owning copies of decoded lines, temp directories, sources that
// deliver bytes the awkward ways real pipes and broken files do.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/ingest/input_source.h"
#include "analyzer/ingest/line_decoder.h"
#include "analyzer/ingest/line_reader.h"

namespace ktriage::testing {

// LogLine views die with the next line; tests keep copies.
struct OwnedLine {
  std::string text;
  uint64_t number = 0;
  std::optional<double> timestamp;
  Caller caller;
  int level = -1;
  LogFormat format = LogFormat::kPlain;
  bool kernel = true;
  std::string host;
};

inline OwnedLine Own(const LogLine& l) {
  return OwnedLine{std::string(l.text), l.number, l.timestamp, l.caller, l.level, l.format, l.kernel,
                   std::string(l.host)};
}

struct ReadResult {
  std::vector<OwnedLine> lines;
  std::optional<Error> error;
  LineReaderStats stats;
  LogFormat dominant = LogFormat::kPlain;

  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const auto& l : lines) out.push_back(l.text);
    return out;
  }
};

inline ReadResult ReadAll(InputSource& source, LineReaderOptions options = {}) {
  ReadResult r;
  LineReader reader(source, options);
  LogLine line;
  for (;;) {
    Result<bool> more = reader.Next(line);
    if (!more) {
      r.error = more.error();
      break;
    }
    if (!*more) break;
    r.lines.push_back(Own(line));
  }
  r.stats = reader.stats();
  r.dominant = reader.dominant_format();
  return r;
}

inline ReadResult ReadString(std::string_view data, LineReaderOptions options = {}) {
  auto source = MemoryInput(data);
  return ReadAll(*source, options);
}

// Decodes lines in order through one decoder (state such as kmsg continuation carries over).
inline std::vector<OwnedLine> DecodeLines(const std::vector<std::string>& raws) {
  LineDecoder decoder;
  std::vector<OwnedLine> out;
  uint64_t n = 0;
  for (const auto& raw : raws) out.push_back(Own(decoder.Decode(raw, ++n)));
  return out;
}

inline OwnedLine DecodeOne(std::string_view raw) {
  LineDecoder decoder;
  return Own(decoder.Decode(raw, 1));
}

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("ktriage-ingest-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string Write(const std::string& name, std::string_view data) const {
    std::string p = (path_ / name).string();
    std::ofstream out(p, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    return p;
  }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The library's MemoryInput, read in a way a file never is: at most `step` bytes per Read, like a
// slow pipe (every chunk boundary gets exercised), and with `fail_at_end` an error instead of the
// end of input (a device error, a stream cut in the middle).
class ScriptedInput : public InputSource {
 public:
  ScriptedInput(std::string_view data, std::string name, size_t step, bool fail_at_end)
      : inner_(MemoryInput(data, name)), step_(step), fail_at_end_(fail_at_end) {}
  Result<size_t> Read(char* buffer, size_t size) override {
    Result<size_t> got = inner_->Read(buffer, std::min(size, step_));
    if (got && *got == 0 && fail_at_end_) return Error{name() + ": Input/output error"};
    return got;
  }
  const std::string& name() const override { return inner_->name(); }
  std::string_view compression() const override { return "none"; }

 private:
  std::unique_ptr<InputSource> inner_;
  size_t step_;
  bool fail_at_end_;
};

class TrickleInput final : public ScriptedInput {
 public:
  TrickleInput(std::string_view data, size_t step) : ScriptedInput(data, "<trickle>", step, false) {}
};

class FailingInput final : public ScriptedInput {
 public:
  explicit FailingInput(std::string_view data) : ScriptedInput(data, "<failing>", SIZE_MAX, true) {}
};

}  // namespace ktriage::testing
