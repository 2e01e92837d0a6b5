// The dump commands parse their options, open the dump (pipeline::DumpSession) and hand it to a writer.
#include "analyzer/cli/dump_commands.h"

#include <boost/program_options.hpp>
#include <sstream>

#include "analyzer/cli/command_line.h"
#include "analyzer/output/dump_output.h"
#include "analyzer/pipeline/dump_session.h"

namespace ktriage::cli {
namespace {

namespace po = boost::program_options;

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
  return UsageError(context, command, command + ": " + message);
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
  pipeline::DumpSessionOptions read = DumpSessionOptionsOf(context);
  read.symbols = false;  // the log needs no symbols
  Result<std::unique_ptr<pipeline::DumpSession>> dump = pipeline::DumpSession::Open(o.paths, read);
  if (!dump.ok()) {
    context.err << "ktriage: " << dump.error().message << '\n';
    return kExitInputError;
  }
  const VmcoreContents& contents = (*dump)->contents();
  PrintWarnings(contents.facts, context);
  if (!contents.log) return kExitInputError;  // the warning said why
  WriteDmesg(context.out, *contents.log, o.format == "json", o.caller);
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
  Result<std::unique_ptr<pipeline::DumpSession>> dump = pipeline::DumpSession::Open(o.paths, DumpSessionOptionsOf(context));
  if (!dump.ok()) {
    context.err << "ktriage: " << dump.error().message << '\n';
    return kExitInputError;
  }
  WriteVmcoreInfo(context.out, (*dump)->facts(), o.format == "json");
  return kExitOk;
}

}  // namespace ktriage::cli
