// SymbolizeLog: raw lines (echoed byte for byte), frames parsed from their decoded text, looked up
// as decode_stacktrace.sh looks them up.
#include "analyzer/symbolize/log_symbolizer.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "analyzer/ingest/line_decoder.h"
#include "analyzer/output/analysis_output.h"
#include "analyzer/report/frame_parser.h"
#include "analyzer/report/report_fields.h"
#include "analyzer/symbolize/stacktrace_line.h"
#include "base/text.h"

namespace ktriage {
namespace {

// One piece of the input: a physical line without its "\n", kept byte for byte. LineReader cannot
// serve here: it also splits at "\r", blanks NULs and cuts long lines, and every line must be
// echoed unchanged. A line longer than kMaxLineBytes comes in several pieces (`whole` false), to
// be echoed but not parsed, so that one huge line costs no more memory than a normal one.
struct Piece {
  std::string_view bytes;
  uint64_t number = 0;   // 1-based physical line number
  bool whole = true;     // the whole line: parse it
  bool newline = false;  // a "\n" ended it (false for the last line of an input without one)
};

class RawLineReader {
 public:
  static constexpr size_t kMaxLineBytes = 64 * 1024;  // as LineReaderOptions, for the same reason
  static constexpr size_t kChunkBytes = 1 << 20;

  // `out` is flushed before every read, so that the lines of a slow producer come out as soon as
  // the input source hands them over (as the script's do); a file costs one flush per chunk.
  RawLineReader(InputSource& source, std::ostream& out)
      : source_(source), out_(out), buffer_(kChunkBytes + kMaxLineBytes + 1, '\0') {}

  // False at the end of the input; a read error only after the pieces read before it.
  Result<bool> Next(Piece& piece) {
    for (;;) {
      const char* begin = buffer_.data() + pos_;
      const size_t available = end_ - pos_;
      const char* nl = available > 0 ? static_cast<const char*>(std::memchr(begin, '\n', available)) : nullptr;
      if (nl != nullptr || (available > 0 && (eof_ || available > kMaxLineBytes))) {
        const size_t length = nl != nullptr ? static_cast<size_t>(nl - begin) : available;
        if (!continued_) ++number_;
        piece = {std::string_view(begin, length), number_, !continued_ && (nl != nullptr || eof_), nl != nullptr};
        continued_ = nl == nullptr && !eof_;
        pos_ += length + (nl != nullptr ? 1 : 0);
        return true;
      }
      if (eof_) {
        if (error_) return *error_;
        return false;
      }
      std::memmove(buffer_.data(), begin, available);
      end_ = available;
      pos_ = 0;
      out_.flush();
      Result<size_t> n = source_.Read(buffer_.data() + end_, buffer_.size() - end_);
      if (!n.ok()) {
        error_ = n.error();
        eof_ = true;
      } else if (*n == 0) {
        eof_ = true;
      } else {
        end_ += *n;
      }
    }
  }

 private:
  InputSource& source_;
  std::ostream& out_;
  std::string buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t number_ = 0;
  bool continued_ = false;  // the last piece was the start of an over-long line
  bool eof_ = false;
  std::optional<Error> error_;
};

// The release a "CPU: 0 PID: 1 Comm: x Not tainted 6.1.0-50-cloud-amd64 #1" line prints, parsed by
// the report parser itself so that `analyze` and `symbolize` read that line the same way.
std::optional<std::string> PrintedRelease(std::string_view text) {
  if (text.find("CPU: ") == std::string_view::npos || text.find(" PID: ") == std::string_view::npos) {
    return std::nullopt;
  }
  CrashReport report;
  report.text.emplace_back(text);
  ParseReportFields(report);
  if (report.kernel_release.empty()) return std::nullopt;
  return report.kernel_release;
}

// Why frames stayed as printed, gathered frame by frame: a first lookup that failed is no reason
// when the fallback answered, so ReportSymbolizer's notes are taken after every frame and kept only
// for frames left unsymbolized. Each cause once, in first-seen order; a huge log of broken frames
// gives a few lines, not thousands (the rest are counted, as ReportSymbolizer counts them).
class UnsymbolizedNotes {
 public:
  // The notes of one frame.
  void Keep(const std::vector<std::string>& notes) {
    bool hidden = false;
    for (const std::string& note : notes) {
      if (std::find(notes_.begin(), notes_.end(), note) != notes_.end()) continue;
      if (notes_.size() < kMaxNotes) notes_.push_back(note);
      else hidden = true;
    }
    more_frames_ += hidden;
  }
  std::vector<std::string> Lines() const {
    std::vector<std::string> lines = notes_;
    if (more_frames_ > 0) {
      lines.push_back("... and " + std::to_string(more_frames_) + " more frames left unsymbolized for other reasons");
    }
    return lines;
  }

 private:
  static constexpr size_t kMaxNotes = 8;
  std::vector<std::string> notes_;
  size_t more_frames_ = 0;
};

// decode_stacktrace.sh looks every frame up at the printed address, return addresses too; marked
// as an instruction pointer, the frame is looked up there as well. Where nothing covers that
// address (a call that never returns, last in its function, returns past the function's end), the
// call's own line is looked up instead, as `analyze` does, rather than leaving the frame as printed.
Frame LookUpAsTheScriptDoes(ReportSymbolizer& symbolizer, const Frame& frame, const std::string& release,
                            UnsymbolizedNotes& notes) {
  Frame exact = frame;
  exact.is_ip = true;
  symbolizer.AnnotateFrame(exact, release);
  std::vector<std::string> why = symbolizer.TakeNotes();
  if (exact.symbolized) return exact;
  if (frame.is_ip) {
    notes.Keep(why);
    return exact;
  }
  Frame call = frame;
  symbolizer.AnnotateFrame(call, release);
  if (!call.symbolized) {
    std::vector<std::string> why_not_either = symbolizer.TakeNotes();
    why.insert(why.end(), why_not_either.begin(), why_not_either.end());
    notes.Keep(why);
  }
  symbolizer.TakeNotes();
  return call;
}

void WriteJsonLine(std::ostream& out, std::string& buffer, const Piece& piece, std::string_view line,
                   const std::string& release, const Frame& frame) {
  buffer.clear();
  buffer += "{\"line\":";
  buffer += std::to_string(piece.number);
  buffer += ",\"text\":";
  buffer += nlohmann::json(SanitizeUtf8(line)).dump();
  buffer += ",\"kernel_release\":";
  buffer += nlohmann::json(SanitizeUtf8(release)).dump();
  buffer += ",\"frame\":";
  AppendFrameJson(buffer, frame);
  buffer += "}\n";
  out << buffer;
}

}  // namespace

LogSymbolizeResult SymbolizeLog(InputSource& source, ReportSymbolizer& symbolizer, const LogSymbolizeOptions& options,
                                std::ostream& out) {
  const bool json = options.json;
  RawLineReader reader(source, out);
  LineDecoder decoder;
  std::string release = options.release;  // -r wins over what the log prints
  UnsymbolizedNotes notes;
  std::string buffer;
  Piece piece;
  Result<bool> more = true;
  while ((more = reader.Next(piece)).ok() && *more) {
    auto echo = [&] {
      if (json) return;
      out << piece.bytes;
      if (piece.newline) out << '\n';
    };
    if (!piece.whole) {
      echo();
      continue;
    }
    std::string_view line = piece.bytes;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const LogLine decoded = decoder.Decode(line, piece.number);
    std::optional<Frame> frame = decoded.kernel ? ParseFrameLine(decoded.text) : std::nullopt;
    if (!frame) {
      if (decoded.kernel && options.release.empty()) {
        if (std::optional<std::string> printed = PrintedRelease(decoded.text)) release = std::move(*printed);
      }
      echo();
      continue;
    }
    if (json) {
      symbolizer.AnnotateFrame(*frame, release);
      notes.Keep(symbolizer.TakeNotes());
      WriteJsonLine(out, buffer, piece, line, release, *frame);
      continue;
    }
    const Frame looked_up = LookUpAsTheScriptDoes(symbolizer, *frame, release, notes);
    if (std::optional<std::string> rewritten = DecodeStacktraceLine(piece.bytes, looked_up)) {
      out << *rewritten << '\n';
    } else {
      echo();
    }
  }

  LogSymbolizeResult result;
  result.notes = notes.Lines();
  if (!more.ok()) result.error = more.error();
  return result;
}

}  // namespace ktriage
