// WriteSignature, WriteSignatures.
#include "analyzer/history/history_output.h"

#include <nlohmann/json.hpp>

#include "base/utc_time.h"

namespace ktriage::history {
namespace {

std::string HostList(const SignatureFacts& f, size_t shown) {
  if (f.hosts.empty()) return "unknown";
  std::string out;
  for (size_t i = 0; i < f.hosts.size() && i < shown; ++i) {
    out += (i ? ", " : "") + f.hosts[i].first + " (" + std::to_string(f.hosts[i].second) + ")";
  }
  if (f.hosts.size() > shown) out += " (+" + std::to_string(f.hosts.size() - shown) + " more)";
  return out;
}

std::string Text(const SignatureFacts& f, bool detailed) {
  std::string out = "  " + std::to_string(f.count) + " x " + f.title + " [" + f.kind + "]\n";
  out += "      signature " + f.signature + "; first seen " + FormatTime(f.first_seen) + ", last seen " +
         FormatTime(f.last_seen) + "\n";
  out += f.hosts.empty() ? std::string("      hosts: unknown\n")
                         : "      hosts (" + std::to_string(f.hosts.size()) + "): " + HostList(f, detailed ? f.hosts.size() : 5) + "\n";
  for (const std::string& e : f.examples) out += "      example: " + e + "\n";
  return out;
}

nlohmann::ordered_json Json(const SignatureFacts& f) {
  nlohmann::ordered_json j;
  j["signature"] = f.signature;
  j["title"] = f.title;
  j["kind"] = f.kind;
  j["count"] = f.count;
  j["first_seen"] = f.first_seen;
  j["last_seen"] = f.last_seen;
  nlohmann::ordered_json hosts = nlohmann::ordered_json::array();
  for (const auto& [host, n] : f.hosts) hosts.push_back({{"host", host}, {"count", n}});
  j["hosts"] = std::move(hosts);
  j["examples"] = f.examples;
  return j;
}

}  // namespace

void WriteSignature(std::ostream& out, const SignatureFacts& facts, bool json) {
  if (json) {
    out << Json(facts).dump(2) << '\n';
  } else {
    out << "Signature " << facts.signature << ":\n" << Text(facts, true);
  }
}

void WriteSignatures(std::ostream& out, const std::vector<SignatureFacts>& rows, const std::string& heading, bool json) {
  if (json) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const SignatureFacts& f : rows) a.push_back(Json(f));
    out << a.dump(2) << '\n';
    return;
  }
  out << heading;
  for (const SignatureFacts& f : rows) out << Text(f, false);
}

}  // namespace ktriage::history
