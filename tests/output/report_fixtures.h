// Hand-built analysis results for the writer tests: the output library is tested without the parser.
#pragma once

#include "analyzer/output/analysis_output.h"

namespace ktriage::testing {

// The veth soft lockup of corpora/samples, as the report parser should describe it.
inline CrashReport SoftLockupReport() {
  CrashReport r;
  r.kind = ReportKind::kSoftLockup;
  r.title = "BUG: soft lockup in netdev_pick_tx";
  r.guilty_frame = "netdev_pick_tx";
  r.signature = "5f1c0ffee";
  r.panicked = true;
  r.panic_message = "softlockup: hung tasks";
  r.cpu = 1;
  r.pid = 2541;
  r.comm = "ip";
  r.tainted = "G             L    ";
  r.kernel_release = "6.1.0-50-cloud-amd64";
  r.hardware = "QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014";
  r.modules = {"veth", "openvswitch", "nsh"};
  r.registers = {{"RSP", "ffffb4c4c0133a18"}, {"RAX", "0000000000000000"}, {"R15", "ffff9b8a84e1c000"}};
  r.time_start = 5256.508123;
  r.time_end = 5256.612004;
  r.line_start = 301;
  r.line_end = 352;
  r.caller = Caller{Caller::Kind::kCpu, 1};

  Frame ip;
  ip.function = "netdev_pick_tx";
  ip.offset = 0x27c;
  ip.size = 0x294;
  ip.is_ip = true;
  ip.context = FrameContext::kTask;
  r.frames.push_back(ip);
  const char* chain[][2] = {{"netdev_core_pick_tx", ""},      {"__dev_queue_xmit", ""},
                            {"ovs_vport_send", "openvswitch"}, {"do_output", "openvswitch"},
                            {"do_execute_actions", "openvswitch"}};
  for (const auto& [function, module] : chain) {
    Frame f;
    f.function = function;
    f.offset = 0x10;
    f.size = 0x200;
    f.module = module;
    f.address = 0xffffffffc0a81234ULL;
    f.context = FrameContext::kTask;
    r.frames.push_back(f);
  }
  r.text = {"watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [ip:2541]",
            "RIP: 0010:netdev_pick_tx+0x27c/0x294"};
  return r;
}

inline InputResult SampleInput(std::vector<CrashReport> reports) {
  InputResult input;
  input.path = "corpora/samples/veth-softlockup.log";
  input.analysis.format = LogFormat::kDmesg;
  input.analysis.compression = "none";
  input.analysis.system.kernel_release = "6.1.0-50-cloud-amd64";
  input.analysis.system.hardware = "QEMU Standard PC (i440FX + PIIX, 1996)";
  input.analysis.system.first_timestamp = 0.0;
  input.analysis.system.last_timestamp = 5256.7;
  input.analysis.stats.bytes = 61234;
  input.analysis.stats.lines = 402;
  input.analysis.stats.kernel_lines = 402;
  input.analysis.reports = std::move(reports);
  return input;
}

}  // namespace ktriage::testing
