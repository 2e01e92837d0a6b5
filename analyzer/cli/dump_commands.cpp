// The dump commands parse their options, call the vmcore library and print; nothing else.
#include "analyzer/cli/dump_commands.h"

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/output/analysis_output.h"
#include "analyzer/vmcore/vmcore_analysis.h"
#include "base/text.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;
using nlohmann::ordered_json;

struct DumpOptions {
  std::string format = "text";
  bool caller = false;
  bool help = false;
  std::vector<std::string> paths;  // one dump, or the files of a split dump set
};

po::options_description DumpOptionsDescription(DumpOptions& o, bool with_caller) {
  po::options_description d("Options", 100, 50);
  d.add_options()("format", po::value(&o.format)->default_value("text")->value_name("text|json"),
                  with_caller ? "text: like makedumpfile --dump-dmesg; json: one record per line"
                              : "text for people, json for programs");
  if (with_caller) d.add_options()("caller", po::bool_switch(&o.caller), "add the caller id ([  T123] / [    C1]) of each record");
  d.add_options()("help,h", po::bool_switch(&o.help), "show this help");
  return d;
}

// Returns an error message for usage errors, "" on success.
std::string Parse(const std::vector<std::string>& args, DumpOptions& o, bool with_caller) {
  if (std::string e = ParseCommandLine(args, DumpOptionsDescription(o, with_caller), o.paths); !e.empty()) return e;
  if (o.help) return "";
  if (o.format != "text" && o.format != "json") return "invalid --format '" + o.format + "' (expected text or json)";
  if (o.paths.empty()) return "no VMCORE given";
  return "";
}

int Usage(const CliContext& context, const std::string& command, const std::string& message) {
  context.err << "ktriage: " << command << ": " << message << "\nTry 'ktriage " << command << " --help'.\n";
  return kExitUsage;
}

void PrintWarnings(const VmcoreFacts& f, const CliContext& context) {
  for (const auto& w : f.warnings) context.err << "ktriage: warning: " << w << '\n';
}

}  // namespace

std::string DmesgHelp() {
  DumpOptions o;
  std::ostringstream s;
  s << "Usage: ktriage dmesg [OPTIONS] VMCORE...\n"
       "\n"
       "Prints the kernel log kept in a crash dump, as `makedumpfile --dump-dmesg` does\n"
       "(\"[    1.954573] text\"), from the lockless printk ring buffer (5.10+) or the structured\n"
       "log_buf (3.5 to 5.9). No vmlinux or debuginfo is needed: VMCOREINFO says where the log is.\n"
       "VMCORE is an ELF vmcore, a kdump-compressed dump or makedumpfile's flattened format;\n"
       "several files are the parts of one split dump set.\n"
       "\n"
    << DumpOptionsDescription(o, true)
    << "\n"
       "Examples:\n"
       "  ktriage dmesg /var/crash/202611221000/dump.202611221000\n"
       "  ktriage dmesg --caller vmcore | grep 'soft lockup'\n"
       "  ktriage dmesg --format json vmcore | jq -r 'select(.level <= 3) | .text'\n";
  return s.str();
}

int DmesgCommand(const std::vector<std::string>& args, const CliContext& context) {
  DumpOptions o;
  if (std::string e = Parse(args, o, true); !e.empty()) return Usage(context, "dmesg", e);
  if (o.help) {
    context.out << DmesgHelp();
    return kExitOk;
  }
  VmcoreReadOptions read;
  read.symbols = false;  // the log needs no symbols
  Result<VmcoreContents> dump = ReadVmcore(o.paths, read);
  if (!dump.ok()) {
    context.err << "ktriage: " << dump.error().message << '\n';
    return kExitInputError;
  }
  PrintWarnings(dump->facts, context);
  if (!dump->log) return kExitInputError;  // the warning said why
  if (o.format == "text") {
    context.out << FormatPrintkLog(*dump->log, o.caller);
  } else {
    for (const PrintkRecord& r : dump->log->records) {
      ordered_json j;
      j["sequence"] = r.sequence;
      j["timestamp_ns"] = r.timestamp_ns;
      j["level"] = r.level;
      j["facility"] = r.facility;
      j["caller"] = r.caller.known() ? ordered_json(CallerName(r.caller)) : ordered_json(nullptr);
      j["text"] = SanitizeUtf8(r.text);
      context.out << j.dump() << '\n';
    }
  }
  return kExitOk;
}

std::string VmcoreHelp() {
  DumpOptions o;
  std::ostringstream s;
  s << "Usage: ktriage vmcore info [OPTIONS] VMCORE...\n"
       "\n"
       "Prints what a crash dump says about itself, with no debuginfo: OSRELEASE, BUILD-ID,\n"
       "PAGESIZE, KERNELOFFSET, CRASHTIME, the registers' PC of every CPU named with the kernel's\n"
       "own kallsyms, the panic and the panicking CPU, and (with --format json) the whole\n"
       "VMCOREINFO text.\n"
       "\n"
    << DumpOptionsDescription(o, false)
    << "\n"
       "Examples:\n"
       "  ktriage vmcore info /var/crash/202611221000/dump.202611221000\n"
       "  ktriage vmcore info --format json vmcore | jq .cpus\n";
  return s.str();
}

int VmcoreCommand(const std::vector<std::string>& args, const CliContext& context) {
  if (args.empty() || (args[0] != "info" && args[0] != "--help" && args[0] != "-h"))
    return Usage(context, "vmcore", args.empty() ? "missing subcommand (info)" : "no such subcommand: '" + args[0] + "'");
  if (args[0] != "info") {
    context.out << VmcoreHelp();
    return kExitOk;
  }
  DumpOptions o;
  if (std::string e = Parse(std::vector<std::string>(args.begin() + 1, args.end()), o, false); !e.empty())
    return Usage(context, "vmcore info", e);
  if (o.help) {
    context.out << VmcoreHelp();
    return kExitOk;
  }
  Result<VmcoreContents> dump = ReadVmcore(o.paths);
  if (!dump.ok()) {
    context.err << "ktriage: " << dump.error().message << '\n';
    return kExitInputError;
  }
  const VmcoreFacts& f = dump->facts;
  if (o.format == "json") {
    // The same "vmcore" object as in `analyze --format json` (docs/json.md), plus the note itself.
    context.out << "{\"schema\":\"ktriage.vmcore-info/1\",\"vmcore\":" << VmcoreFactsJson(f)
                << ",\"vmcoreinfo\":" << ordered_json(SanitizeUtf8(f.vmcoreinfo)).dump() << "}\n";
    return kExitOk;
  }
  auto row = [&](const char* k, const std::string& v) { context.out << k << std::string(14 - std::string(k).size(), ' ') << v << '\n'; };
  row("format", f.format);
  row("arch", f.arch + (f.arch_derived ? " (derived: the header does not say)" : ""));
  row("OSRELEASE", f.osrelease);
  row("BUILD-ID", f.build_id);
  row("PAGESIZE", std::to_string(f.page_size));
  if (f.kernel_offset) row("KERNELOFFSET", HexString(static_cast<uint64_t>(*f.kernel_offset)));
  if (f.crash_time) row("CRASHTIME", std::to_string(*f.crash_time));
  row("panic", f.panic_message.empty() ? "-" : f.panic_message);
  row("panic CPU", f.panic_cpu ? std::to_string(*f.panic_cpu) : "-");
  for (const auto& c : f.cpus) {
    row(("CPU " + std::to_string(c.cpu)).c_str(),
        (c.pc ? HexString(*c.pc) : std::string("-")) + (c.symbol.empty() ? "" : " " + c.symbol) + (c.pid ? "  PID " + std::to_string(*c.pid) : "") +
            (c.panicked ? "  <- panic" : ""));
  }
  row("log", f.log_layout + ", " + std::to_string(f.log_records) + " records, " + std::to_string(f.log_skipped) +
                 " skipped");
  row("kallsyms", std::to_string(f.kallsyms_symbols) + " symbols");
  for (const auto& w : f.warnings) row("warning", w);
  return kExitOk;
}

}  // namespace ktriage::cli
