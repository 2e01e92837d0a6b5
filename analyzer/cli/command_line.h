// Option parsing shared by every subcommand: named options plus positional paths, no prefix
// guessing (so "--all" never silently becomes "--all-frames", and new options never make an old
// command line ambiguous).
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace ktriage::cli {

// Returns "" on success, else the usage error's message.
inline std::string ParseCommandLine(const std::vector<std::string>& args,
                                    const boost::program_options::options_description& named,
                                    std::vector<std::string>& paths) {
  namespace po = boost::program_options;
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

}  // namespace ktriage::cli
