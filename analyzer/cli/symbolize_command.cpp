// `ktriage symbolize`: options, help, and the loop that streams one log line by line: each line is
// written as soon as it is read, so memory stays bounded whatever the size of the log.
#include "analyzer/cli/symbolize_command.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/cli/stacktrace_line.h"
#include "analyzer/ingest/input_source.h"
#include "analyzer/ingest/line_decoder.h"
#include "analyzer/output/analysis_output.h"
#include "analyzer/report/frame_parser.h"
#include "analyzer/report/report_fields.h"
#include "base/text.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;

struct RawSymbolizeOptions {
  std::string format;
  bool help = false;
  std::vector<std::string> paths;
  SymbolOptions symbols;
};

// Built in one place so that parsing and --help can never disagree about what exists.
po::options_description VisibleOptions(RawSymbolizeOptions& raw) {
  po::options_description visible("Options", 100, 50);
  visible.add_options()
      ("format", po::value(&raw.format)->default_value("text")->value_name("text|json"),
       "text: the log as decode_stacktrace.sh prints it; json: one object per frame line (docs/json.md)")
      ("help,h", po::bool_switch(&raw.help), "show this help");
  po::options_description symbols("Debuginfo", 100, 50);
  AddSymbolOptions(symbols, raw.symbols, /*always=*/true);
  visible.add(symbols);
  return visible;
}

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
  void Print(std::ostream& err) const {
    for (const std::string& note : notes_) err << "ktriage: note: " << note << '\n';
    if (more_frames_ > 0) {
      err << "ktriage: note: ... and " << more_frames_ << " more frames left unsymbolized for other reasons\n";
    }
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

Result<SymbolizeOptions> ParseSymbolizeOptions(const std::vector<std::string>& args) {
  RawSymbolizeOptions raw;
  if (std::string e = ParseCommandLine(args, VisibleOptions(raw), raw.paths); !e.empty()) return Error{e};

  SymbolizeOptions options;
  options.help = raw.help;
  if (options.help) return options;
  if (raw.format == "text") {
    options.format = SymbolizeOptions::Format::kText;
  } else if (raw.format == "json") {
    options.format = SymbolizeOptions::Format::kJson;
  } else {
    return Error{"invalid --format '" + raw.format + "' (expected text or json)"};
  }
  if (raw.paths.size() > 1) return Error{"symbolize: one FILE at most ('-' or none for standard input)"};
  if (!raw.paths.empty()) options.path = raw.paths.front();
  options.symbols = raw.symbols;
  return options;
}

std::string SymbolizeHelp() {
  RawSymbolizeOptions raw;
  std::ostringstream s;
  s << "Usage: ktriage symbolize [OPTIONS] [FILE|-]\n"
       "\n"
       "Rewrites a kernel log as the kernel's scripts/decode_stacktrace.sh does, in one process:\n"
       "every line is echoed, and a stack frame line such as\n"
       "  [   16.751811]  ? netdev_pick_tx+0x5/0x2e0\n"
       "gets its symbol's source lines from debuginfo, innermost inlined call first:\n"
       "  [   16.751811] ? netdev_pick_tx (net/core/dev.c:4203) \n"
       "byte for byte as the script writes it: words joined by one blank, [<address>] words\n"
       "dropped, \"SEGMENT:NAME (FILE:LINE...) MODULE\" with the module's brackets and build-id\n"
       "dropped (a trailing blank when there is no module), the line of the printed address\n"
       "itself (`analyze` looks return addresses up one byte before).\n"
       "\n"
       "FILE is read line by line ('-' or none: standard input); gzip, xz, zstd, bzip2 and lz4\n"
       "are decompressed. Debuginfo: --vmlinux, else -r, else the release printed by the last\n"
       "'CPU: N PID: P Comm: ...' line before the frame (/usr/lib/debug/boot/vmlinux-R...);\n"
       "modules from --modules, the debug roots, /lib/modules/R, and debuginfod when\n"
       "DEBUGINFOD_URLS is set. Why frames stayed unsymbolized is said once, at the end, on stderr\n"
       "as 'ktriage: note: ...'.\n"
       "\n"
    << VisibleOptions(raw)
    << "\n"
       "Differences from decode_stacktrace.sh (Linux 6.1):\n"
       "  - Lines that are not frames, and frames that cannot be symbolized, are echoed byte for\n"
       "    byte; the script strips blanks at both ends and backslashes of every line (bash\n"
       "    `read`), re-joins the words of frame lines it cannot symbolize, and drops a last\n"
       "    line without a newline.\n"
       "  - \"\\r\\n\" ends a line (the script keeps the \"\\r\" and then misses the module).\n"
       "  - addr2line's \" (discriminator N)\" is not printed.\n"
       "  - Lines come from libdw, as eu-addr2line gives them; binutils' addr2line, which the\n"
       "    script runs, names another file now and then (DWARF 5 file tables).\n"
       "  - A return address that no function covers (a call that never returns, last in its\n"
       "    function) is looked up one byte before, in the call; the script names whatever\n"
       "    follows the function.\n"
       "  - A name that several static functions share is resolved by the size printed after\n"
       "    the offset; the script takes nm's first. Paths are relative to the kernel tree when\n"
       "    the build directory is recognised, else as the debuginfo records them.\n"
       "  - Code: lines are echoed, not disassembled (decodecode).\n"
       "  - With debuginfod-find installed the script drops 'PID: N Comm:' lines; they are echoed.\n"
       "\n"
       "--format json writes one object per line that holds a frame (JSON Lines): the line number,\n"
       "the line, the kernel release and the frame as `analyze --format json` writes frames,\n"
       "return addresses looked up one byte before as `analyze` does. See docs/json.md.\n"
       "\n"
       "Exit status:\n"
       "  0  the input was read to its end (notes about missing debuginfo included)\n"
       "  1  the input could not be opened or read\n"
       "  2  usage error: unknown option, bad value, more than one FILE\n"
       "\n"
       "Examples:\n"
       "  dmesg | ktriage symbolize\n"
       "  ktriage symbolize --vmlinux vmlinux --modules /lib/modules/$(uname -r) console.log\n"
       "  ktriage symbolize -r 6.1.0-50-cloud-amd64 kern.log.gz | less\n"
       "  ktriage symbolize --format json console.log | jq -r 'select(.frame.symbolized) | .frame.source'\n";
  return s.str();
}

int RunSymbolize(const SymbolizeOptions& options, const CliContext& context) {
  Result<std::unique_ptr<InputSource>> source = OpenInputFile(options.path);
  if (!source.ok()) {
    context.err << "ktriage: " << source.error().message << '\n';
    return kExitInputError;
  }
  ReportSymbolizer symbolizer(ToReportSymbolizerOptions(options.symbols, context));
  const bool json = options.format == SymbolizeOptions::Format::kJson;
  RawLineReader reader(**source, context.out);
  LineDecoder decoder;
  std::string release = options.symbols.release;  // -r wins over what the log prints
  UnsymbolizedNotes notes;
  std::string buffer;
  Piece piece;
  Result<bool> more = true;
  while ((more = reader.Next(piece)).ok() && *more) {
    auto echo = [&] {
      if (json) return;
      context.out << piece.bytes;
      if (piece.newline) context.out << '\n';
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
      if (decoded.kernel && options.symbols.release.empty()) {
        if (std::optional<std::string> printed = PrintedRelease(decoded.text)) release = std::move(*printed);
      }
      echo();
      continue;
    }
    if (json) {
      symbolizer.AnnotateFrame(*frame, release);
      notes.Keep(symbolizer.TakeNotes());
      WriteJsonLine(context.out, buffer, piece, line, release, *frame);
      continue;
    }
    const Frame looked_up = LookUpAsTheScriptDoes(symbolizer, *frame, release, notes);
    if (std::optional<std::string> rewritten = DecodeStacktraceLine(piece.bytes, looked_up)) {
      context.out << *rewritten << '\n';
    } else {
      echo();
    }
  }

  notes.Print(context.err);
  int status = kExitOk;
  if (!more.ok()) {
    context.err << "ktriage: " << more.error().message << '\n';
    status = kExitInputError;
  }
  context.out.flush();
  if (!context.out) {
    context.err << "ktriage: error writing the output\n";
    return kExitInputError;
  }
  return status;
}

int SymbolizeCommand(const std::vector<std::string>& args, const CliContext& context) {
  Result<SymbolizeOptions> options = ParseSymbolizeOptions(args);
  if (!options.ok()) {
    context.err << "ktriage: " << options.error().message << "\nTry 'ktriage symbolize --help'.\n";
    return kExitUsage;
  }
  if (options->help) {
    context.out << SymbolizeHelp();
    return kExitOk;
  }
  return RunSymbolize(*options, context);
}

}  // namespace ktriage::cli
