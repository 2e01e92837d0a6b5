// ParseCommandLine, UsageError, StartCommand.
#include "analyzer/cli/command_line.h"

namespace ktriage::cli {

namespace po = boost::program_options;

std::string ParseCommandLine(const std::vector<std::string>& args, const po::options_description& named,
                             std::vector<std::string>& paths) {
  po::options_description all;
  all.add(named);
  all.add_options()("path", po::value(&paths));
  po::positional_options_description positional;
  positional.add("path", -1);
  try {
    po::variables_map vm;
    int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(all).positional(positional).style(style).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return e.what();
  }
  return "";
}

int UsageError(const CliContext& context, const std::string& command, const std::string& message) {
  context.err << "ktriage: " << message << "\nTry 'ktriage " << command << (command.empty() ? "" : " ") << "--help'.\n";
  return kExitUsage;
}

std::optional<int> StartCommand(const CliContext& context, const std::string& command,
                                const std::vector<std::string>& args, const po::options_description& named,
                                std::vector<std::string>& positional, const bool& help_flag, std::string (*help)()) {
  if (std::string e = ParseCommandLine(args, named, positional); !e.empty()) return UsageError(context, command, e);
  if (help_flag) {
    context.out << help();
    return kExitOk;
  }
  return std::nullopt;
}

}  // namespace ktriage::cli
