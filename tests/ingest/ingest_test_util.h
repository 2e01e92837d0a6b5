// Helpers for the ingest tests: owning copies of decoded lines, temp directories, sources that
// deliver bytes the awkward ways real pipes and broken files do.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
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

// Delivers at most `step` bytes per Read, like a slow pipe: exercises every chunk boundary.
class TrickleInput final : public InputSource {
 public:
  TrickleInput(std::string_view data, size_t step) : data_(data), step_(step) {}
  Result<size_t> Read(char* buffer, size_t size) override {
    size_t n = std::min({size, step_, data_.size() - pos_});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  const std::string& name() const override { return name_; }
  std::string_view compression() const override { return "none"; }

 private:
  std::string_view data_;
  size_t step_;
  size_t pos_ = 0;
  std::string name_ = "<trickle>";
};

// Delivers `data`, then fails: a device error or a stream cut in the middle.
class FailingInput final : public InputSource {
 public:
  explicit FailingInput(std::string_view data) : data_(data) {}
  Result<size_t> Read(char* buffer, size_t size) override {
    if (pos_ == data_.size()) return Error{"<failing>: Input/output error"};
    size_t n = std::min(size, data_.size() - pos_);
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  const std::string& name() const override { return name_; }
  std::string_view compression() const override { return "none"; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  std::string name_ = "<failing>";
};

}  // namespace ktriage::testing
