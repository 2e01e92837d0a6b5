// The JSON contract of `ktriage analyze` (docs/json.md): one deterministic document per run.
//
// Layout: one report per line, so that a streaming writer never holds more than one report and
// a person can still grep the output. Per-input facts that are only known once an input has been
// read to its end (format, system, stats) therefore come after the "reports" array. Reports go
// through JsonEmitter (the hot path); the small per-input parts through nlohmann::ordered_json.
#include <nlohmann/json.hpp>

#include <sstream>
#include <type_traits>

#include "analyzer/output/analysis_output.h"
#include "analyzer/output/json_emitter.h"
#include "analyzer/output/kernel_state_output.h"
#include "analyzer/output/output_format.h"
#include "base/spill_buffer.h"
#include "base/text.h"

namespace ktriage {
namespace {

using nlohmann::ordered_json;
using output_internal::JsonEmitter;

// Every string leaves through here: logs carry binary garbage, JSON must stay valid UTF-8.
ordered_json Str(std::string_view s) { return SanitizeUtf8(s); }

template <typename T>
ordered_json Nullable(const std::optional<T>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json StrList(const std::vector<std::string>& list) {
  ordered_json a = ordered_json::array();
  for (const std::string& s : list) a.push_back(Str(s));
  return a;
}

void EmitHex(JsonEmitter& e, const std::optional<uint64_t>& v) {
  if (v) {
    e.String(HexString(*v));
  } else {
    e.Null();
  }
}

template <typename T>
void EmitNumber(JsonEmitter& e, const std::optional<T>& v) {
  if (!v) {
    e.Null();
  } else if constexpr (std::is_floating_point_v<T>) {
    e.Double(*v);
  } else {
    e.Int(*v);
  }
}

void EmitStrings(JsonEmitter& e, const std::vector<std::string>& list) {
  e.BeginArray();
  for (const std::string& s : list) e.String(s);
  e.EndArray();
}

void EmitFrame(JsonEmitter& e, const Frame& f) {
  e.BeginObject();
  e.Key("function").String(f.function);
  EmitHex(e.Key("offset"), f.offset);
  EmitHex(e.Key("size"), f.size);
  e.Key("module").String(f.module);
  e.Key("build_id").String(f.build_id);
  EmitHex(e.Key("address"), f.address);
  e.Key("reliable").Bool(f.reliable);
  e.Key("is_ip").Bool(f.is_ip);
  e.Key("context").String(FrameContextName(f.context));
  e.Key("source").String(f.source);
  e.Key("printed_inline").Bool(f.printed_inline);
  e.Key("symbolized").Bool(f.symbolized);
  e.Key("inlined").BeginArray();
  for (const InlinedCall& call : f.inlined) {
    e.BeginObject();
    e.Key("function").String(call.function);
    e.Key("source").String(call.source);
    e.EndObject();
  }
  e.EndArray();
  e.EndObject();
}

// The key order here is the contract's (docs/json.md); tests check it against the document.
void EmitReport(JsonEmitter& e, const CrashReport& r) {
  e.BeginObject();
  e.Key("kind").String(ReportKindName(r.kind));
  e.Key("title").String(r.title);
  e.Key("guilty_frame").String(r.guilty_frame);
  e.Key("signature").String(r.signature);
  e.Key("corrupted").Bool(r.corrupted);
  e.Key("corrupted_reason").String(r.corrupted_reason);
  e.Key("interleaved").Bool(r.interleaved);
  e.Key("panicked").Bool(r.panicked);
  e.Key("panic_message").String(r.panic_message);
  EmitNumber(e.Key("cpu"), r.cpu);
  EmitNumber(e.Key("pid"), r.pid);
  e.Key("comm").String(r.comm);
  e.Key("tainted").String(r.tainted);
  e.Key("kernel_release").String(r.kernel_release);
  e.Key("hardware").String(r.hardware);
  std::string caller = CallerName(r.caller);
  e.Key("caller");
  if (caller.empty()) {
    e.Null();
  } else {
    e.String(caller);
  }
  EmitNumber(e.Key("time_start"), r.time_start);
  EmitNumber(e.Key("time_end"), r.time_end);
  e.Key("line_start").Uint(r.line_start);
  e.Key("line_end").Uint(r.line_end);
  EmitStrings(e.Key("modules"), r.modules);
  // std::map iterates in key order, so register order is stable across runs.
  e.Key("registers");
  e.BeginObject();
  for (const auto& [name, value] : r.registers) e.TextKey(name).String(value);
  e.EndObject();
  e.Key("frames");
  e.BeginArray();
  for (const Frame& f : r.frames) EmitFrame(e, f);
  e.EndArray();
  EmitStrings(e.Key("text"), r.text);
  e.EndObject();
}

ordered_json SystemJson(const SystemInfo& s) {
  ordered_json j;
  j["kernel_release"] = Str(s.kernel_release);
  j["kernel_version"] = Str(s.kernel_version);
  j["hardware"] = Str(s.hardware);
  j["command_line"] = Str(s.command_line);
  j["host"] = Str(s.host);
  j["first_timestamp"] = Nullable(s.first_timestamp);
  j["last_timestamp"] = Nullable(s.last_timestamp);
  return j;
}

// A dump's own facts (docs/json.md, "vmcore"); addresses as hex strings like every address.
ordered_json VmcoreJson(const VmcoreFacts& f) {
  ordered_json j;
  j["format"] = Str(f.format);
  j["compression"] = Str(f.compression);
  j["arch"] = Str(f.arch);
  j["arch_derived"] = f.arch_derived;
  j["osrelease"] = Str(f.osrelease);
  j["build_id"] = Str(f.build_id);
  j["page_size"] = f.page_size;
  j["kernel_offset"] = f.kernel_offset ? ordered_json(HexString(static_cast<uint64_t>(*f.kernel_offset)))
                                       : ordered_json(nullptr);
  j["crash_time"] = Nullable(f.crash_time);
  j["panic_cpu"] = Nullable(f.panic_cpu);
  j["panic_message"] = Str(f.panic_message);
  ordered_json cpus = ordered_json::array();
  for (const VmcoreCpu& c : f.cpus) {
    ordered_json cj;
    cj["cpu"] = c.cpu;
    cj["pid"] = Nullable(c.pid);
    cj["pc"] = c.pc ? ordered_json(HexString(*c.pc)) : ordered_json(nullptr);
    cj["symbol"] = Str(c.symbol);
    cj["source"] = Str(c.source);
    ordered_json inlined = ordered_json::array();
    for (const InlinedCall& call : c.inlined) {
      ordered_json ij;
      ij["function"] = Str(call.function);
      ij["source"] = Str(call.source);
      inlined.push_back(std::move(ij));
    }
    cj["inlined"] = std::move(inlined);
    cj["panicked"] = c.panicked;
    cpus.push_back(std::move(cj));
  }
  j["cpus"] = std::move(cpus);
  ordered_json log;
  log["layout"] = Str(f.log_layout);
  log["records"] = f.log_records;
  log["skipped"] = f.log_skipped;
  j["log"] = std::move(log);
  j["kallsyms_symbols"] = f.kallsyms_symbols;
  j["warnings"] = StrList(f.warnings);
  return j;
}

void EmitFinding(JsonEmitter& e, const rules::Finding& f) {
  e.BeginObject();
  e.Key("rule").String(f.rule_id);
  e.Key("title").String(f.title);
  e.Key("severity").String(f.severity);
  e.Key("summary").String(f.summary);
  EmitNumber(e.Key("report"), f.report);
  e.Key("corroborated").Bool(f.corroborated);
  e.Key("evidence").BeginArray();
  for (const rules::EvidenceLine& line : f.evidence) {
    e.BeginObject();
    e.Key("line").Uint(line.line);
    e.Key("text").String(line.text);
    e.EndObject();
  }
  e.EndArray();
  e.Key("fields").BeginObject();
  for (const auto& [k, v] : f.fields) e.TextKey(k).String(v);  // std::map: sorted keys
  e.EndObject();
  e.EndObject();
}

std::string FindingText(const rules::Finding& f) {
  std::string out;
  JsonEmitter e(out);
  EmitFinding(e, f);
  return out;
}

std::string FindingsText(const std::vector<rules::Finding>& findings) {
  std::string out;
  JsonEmitter e(out);
  e.BeginArray();
  for (const rules::Finding& f : findings) EmitFinding(e, f);
  e.EndArray();
  return out;
}

ordered_json SymbolsJson(const InputResult& input) {
  ordered_json j;
  j["debuginfo"] = StrList(input.debuginfo);
  j["notes"] = StrList(input.symbol_notes);
  return j;
}

ordered_json StatsJson(const LineReaderStats& s) {
  ordered_json j;
  j["bytes"] = s.bytes;
  j["lines"] = s.lines;
  j["kernel_lines"] = s.kernel_lines;
  j["truncated_lines"] = s.truncated_lines;
  return j;
}

// The "deep" object (docs/json.md): frames spelled as every other frame of the document.
std::string DeepJson(const std::optional<kernel::DeepAnalysis>& deep) {
  if (!deep) return "null";
  std::string out;
  JsonEmitter e(out);
  auto task = [&](const kernel::TaskInfo& t) {
    e.BeginObject();
    e.Key("pid").Int(t.pid);
    e.Key("comm").String(t.comm);
    e.Key("state").String(std::string(1, t.state));
    e.Key("cpu").Int(t.cpu);
    e.Key("address").String(HexString(t.address));
    e.EndObject();
  };
  auto stack = [&](const kernel::DeepStack& s) {
    e.Key("task");
    if (s.task) task(*s.task);
    else e.Null();
    e.Key("frames");
    e.BeginArray();
    for (const Frame& f : s.frames) EmitFrame(e, f);
    e.EndArray();
    e.Key("methods");
    e.BeginArray();
    for (const kernel::StackFrame& f : s.raw) e.String(f.method);
    e.EndArray();
    e.Key("complete").Bool(s.complete);
    e.Key("end").String(s.end);
  };
  e.BeginObject();
  e.Key("vmlinux").String(deep->vmlinux);
  e.Key("type_source").String(deep->type_source);
  e.Key("symbol_source").String(deep->symbol_source);
  e.Key("notes");
  e.BeginArray();
  for (const std::string& n : deep->notes) e.String(n);
  e.EndArray();
  e.Key("cpus");
  e.BeginArray();
  for (const kernel::DeepStack& s : deep->cpus) {
    e.BeginObject();
    e.Key("cpu").Int(s.cpu);
    stack(s);
    e.EndObject();
  }
  e.EndArray();
  e.Key("tasks").Uint(deep->task_count);
  e.Key("modules").Raw(ModulesJson(*deep));
  e.Key("blocked_tasks");
  e.BeginArray();
  for (const kernel::DeepStack& s : deep->tasks) {
    e.BeginObject();
    stack(s);
    e.EndObject();
  }
  e.EndArray();
  e.Key("lock_owners");
  e.BeginArray();
  for (const kernel::DeepStack& s : deep->lock_owners) {
    e.BeginObject();
    stack(s);
    e.EndObject();
  }
  e.EndArray();
  e.Key("net_namespaces");
  e.BeginArray();
  if (deep->net) {
    for (const kernel::NetNamespaceInfo& ns : deep->net->namespaces) {
      e.BeginObject();
      e.Key("inum").Uint(ns.inum);
      e.Key("address").String(HexString(ns.address));
      e.Key("init").Bool(ns.is_init);
      e.Key("on_list").Bool(ns.on_list);
      e.Key("count");
      if (ns.count) {
        e.Int(*ns.count);
      } else {
        e.Null();
      }
      e.Key("devices");
      e.BeginArray();
      for (const kernel::NetDeviceInfo& d : ns.devices) e.String(d.name);
      e.EndArray();
      e.Key("task_pids");
      e.BeginArray();
      for (int pid : ns.task_pids) e.Int(pid);
      e.EndArray();
      e.Key("tcp_sockets").Uint(ns.tcp_sockets.size());
      e.Key("orphaned_tcp_sockets").Uint(ns.OrphanedTcpSockets());
      e.EndObject();
    }
  }
  e.EndArray();
  e.Key("pinned_namespaces");
  e.BeginArray();
  for (const std::string& line : deep->pinned_namespaces) e.String(line);
  e.EndArray();
  e.Key("state").Raw(KernelStateJson(*deep));
  e.Key("problems");
  e.BeginArray();
  for (const std::string& p : deep->problems) e.String(p);
  e.EndArray();
  e.EndObject();
  return out;
}

std::string Dump(const ordered_json& j) {
  // The replace handler is a second guard: Str() already made every string valid UTF-8.
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

class JsonWriter final : public AnalysisSink {
 public:
  JsonWriter(std::ostream& out, std::string temp_dir) : out_(out), temp_dir_(std::move(temp_dir)) {
    out_ << "{\"schema\":" << Dump(kAnalysisSchema) << ",\"inputs\":[";
  }

  void BeginInput(const std::string& path, const VmcoreFacts* vmcore, const kernel::DeepAnalysis*) override {
    out_ << (inputs_ == 0 ? "\n" : ",\n") << "{\"path\":" << Dump(Str(path))
         << ",\"vmcore\":" << (vmcore ? Dump(VmcoreJson(*vmcore)) : std::string("null")) << ",\"reports\":[";
    ++inputs_;
    reports_ = 0;
    early_findings_ = SpillBuffer(temp_dir_, kFindingsInMemory);
    early_count_ = 0;
  }

  void WriteFinding(const rules::Finding& finding) override {
    // The findings array comes after the reports: until then they wait, in a file past a limit.
    early_findings_.Append((early_count_++ == 0 ? "" : ",") + FindingText(finding));
  }

  void WriteReport(const CrashReport& report) override {
    buffer_.clear();  // reused: its capacity settles at the largest report
    buffer_ += reports_ == 0 ? "\n" : ",\n";
    JsonEmitter emitter(buffer_);
    EmitReport(emitter, report);
    out_ << buffer_;
    ++reports_;
  }

  void EndInput(const InputResult& input) override {
    out_ << (reports_ == 0 ? "]" : "\n]");
    const LogAnalysis& a = input.analysis;
    ordered_json format = input.opened ? ordered_json(LogFormatName(a.format)) : ordered_json(nullptr);
    ordered_json compression = input.opened ? Str(a.compression) : ordered_json(nullptr);
    out_ << ",\"format\":" << Dump(format) << ",\"compression\":" << Dump(compression)
         << ",\"system\":" << Dump(SystemJson(a.system)) << ",\"stats\":" << Dump(StatsJson(a.stats))
         << ",\"symbols\":" << Dump(SymbolsJson(input))
         << ",\"findings\":";
    WriteFindings(input.findings);
    out_ << ",\"errors\":" << Dump(StrList(input.errors)) << ",\"deep\":" << DeepJson(input.deep) << "}";
  }

  void Finish() override { out_ << (inputs_ == 0 ? "]}\n" : "\n]}\n"); }

 private:
  static constexpr size_t kFindingsInMemory = 1 << 20;

  // The findings array: those of reports evaluated early (streamed from where they waited), then
  // the rest; for an input without early ones, byte for byte what FindingsText() writes.
  void WriteFindings(const std::vector<rules::Finding>& rest) {
    if (early_count_ == 0) {
      out_ << FindingsText(rest);
      return;
    }
    out_ << '[';
    if (Status copied = early_findings_.CopyTo(out_); !copied) out_.setstate(std::ios::badbit);
    early_findings_ = SpillBuffer();
    for (const rules::Finding& f : rest) out_ << ',' << FindingText(f);
    out_ << ']';
  }

  std::ostream& out_;
  std::string temp_dir_;
  SpillBuffer early_findings_;
  size_t early_count_ = 0;
  size_t inputs_ = 0;
  size_t reports_ = 0;
  std::string buffer_;
};

}  // namespace

std::string VmcoreFactsJson(const VmcoreFacts& facts) { return Dump(VmcoreJson(facts)); }

void AppendFrameJson(std::string& out, const Frame& frame) {
  JsonEmitter emitter(out);
  EmitFrame(emitter, frame);
}

std::string JsonLineObject(std::string_view leading_members, const CrashReport* report, const rules::Finding* finding) {
  std::string body;  // "{...}" as the document writes it; the leading members go after its '{'
  if (report != nullptr) {
    JsonEmitter emitter(body);
    EmitReport(emitter, *report);
  } else if (finding != nullptr) {
    body = FindingText(*finding);
  } else {
    body = "{}";
  }
  std::string out;
  out.reserve(body.size() + leading_members.size() + 1);
  out += '{';
  out += leading_members;
  if (!leading_members.empty() && body.size() > 2) out += ',';
  out.append(body, 1, std::string::npos);
  return out;
}

std::unique_ptr<AnalysisSink> MakeJsonWriter(std::ostream& out, const std::string& temp_dir) {
  return std::make_unique<JsonWriter>(out, temp_dir);
}

void WriteJson(std::ostream& out, const std::vector<InputResult>& inputs) {
  JsonWriter writer(out, "/tmp");
  output_internal::Replay(writer, inputs);
}

}  // namespace ktriage
