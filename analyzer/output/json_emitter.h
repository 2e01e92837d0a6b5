// JsonEmitter: appends JSON tokens to a string in the order they are called; keys keep that order.
// The report writer's hot path: building an nlohmann::ordered_json per report and dumping it
// cost more than parsing the log (one allocation per value, a linear key search per insert).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ktriage::output_internal {

class JsonEmitter {
 public:
  explicit JsonEmitter(std::string& out) : out_(out) {}

  void BeginObject() { Separate(); out_ += '{'; first_ = true; }
  void EndObject() { out_ += '}'; first_ = false; }
  void BeginArray() { Separate(); out_ += '['; first_ = true; }
  void EndArray() { out_ += ']'; first_ = false; }
  // Returns *this so that a member reads as one line: e.Key("pid").Int(2541).
  // `key` is one of the contract's names (docs/json.md): plain ASCII, never escaped.
  JsonEmitter& Key(std::string_view key) {
    Separate();
    out_ += '"';
    out_ += key;
    out_ += "\":";
    after_key_ = true;
    return *this;
  }

  // A key taken from the input (a register's name as the log printed it): escaped like a string.
  JsonEmitter& TextKey(std::string_view key) {
    Separate();
    AppendString(key);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  // Invalid UTF-8 becomes U+FFFD exactly as SanitizeUtf8 does; escaping matches nlohmann's dump.
  void String(std::string_view s) { Separate(); AppendString(s); }
  void Null() { Separate(); out_ += "null"; }
  void Bool(bool b) { Separate(); out_ += b ? "true" : "false"; }
  void Uint(uint64_t v);
  void Int(int64_t v);
  // Formatted by nlohmann (shortest round-trip form) so that every number in a document,
  // from this emitter or from nlohmann, is spelt the same way.
  void Double(double v);
  // A value already serialized (by nlohmann), put in as it is.
  void Raw(std::string_view json) { Separate(); out_ += json; }

 private:
  void Separate();
  void AppendString(std::string_view s);

  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace ktriage::output_internal
