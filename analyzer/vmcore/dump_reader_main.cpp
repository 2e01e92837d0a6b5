// ktriage-dump-reader: reads one crash dump (the files it is given as descriptors 3, 4, ...) and
// writes what ReadVmcore knows of it on stdout, for ktriage, which starts it so that a crash or a
// hang of libkdumpfile on a corrupt dump ends this process and not the whole run.
#include <unistd.h>

#include <string>
#include <vector>

#include "analyzer/vmcore/vmcore_analysis.h"

int main(int argc, char** argv) {
  return ktriage::RunDumpReader(std::vector<std::string>(argv + 1, argv + argc), STDOUT_FILENO);
}
