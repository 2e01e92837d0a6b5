// KernelTypes: the answers of a type source, cached by name (a walk asks the same few members for
// every task and socket).
#include "analyzer/kernel_state/kernel_types.h"

namespace ktriage::kernel {

std::string_view StripAggregateKeyword(std::string_view type) {
  for (std::string_view prefix : {"struct ", "union "}) {
    if (type.substr(0, prefix.size()) == prefix) return type.substr(prefix.size());
  }
  return type;
}

std::string_view TakeMemberName(std::string_view& rest) {
  const size_t dot = rest.find('.');
  const std::string_view part = rest.substr(0, dot);
  rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  return part;
}

Result<uint64_t> KernelTypes::SizeOf(std::string_view type) {
  const std::string_view name = StripAggregateKeyword(type);
  if (auto cached = sizes_.find(name); cached != sizes_.end()) return cached->second;
  std::string key(name);
  Result<uint64_t> answer = LookupSize(key);
  sizes_.emplace(std::move(key), answer);
  return answer;
}

Result<MemberLayout> KernelTypes::Member(std::string_view type, std::string_view path) {
  std::pair<std::string, std::string> key(StripAggregateKeyword(type), path);
  if (auto cached = members_.find(key); cached != members_.end()) return cached->second;
  Result<MemberLayout> answer = LookupMember(key.first, path);
  members_.emplace(std::move(key), answer);
  return answer;
}

Result<uint64_t> KernelTypes::Offset(std::string_view type, std::string_view path) {
  Result<MemberLayout> m = Member(type, path);
  if (!m) return m.error();
  return m->offset;
}

Result<int64_t> KernelTypes::EnumValue(std::string_view enum_type, std::string_view enumerator) {
  std::pair<std::string, std::string> key(enum_type, enumerator);
  if (auto cached = enumerators_.find(key); cached != enumerators_.end()) return cached->second;
  Result<int64_t> answer = LookupEnumerator(key.first, enumerator);
  enumerators_.emplace(std::move(key), answer);
  return answer;
}

bool KernelTypes::Has(std::string_view type, std::string_view path) { return Member(type, path).ok(); }

std::vector<std::pair<std::string, std::string>> KernelTypes::AskedEnumerators() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : enumerators_) out.push_back(key);
  return out;
}

std::vector<std::pair<std::string, std::string>> KernelTypes::Asked() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, size] : sizes_) out.emplace_back(name, "");
  for (const auto& [key, layout] : members_) out.push_back(key);
  return out;
}

}  // namespace ktriage::kernel
