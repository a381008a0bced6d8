#include "probe/evidence/agent_facts.h"

#include <algorithm>
#include <charconv>

namespace ssmreach {

std::optional<std::vector<unsigned>> parse_version(std::string_view text) {
  if (text.starts_with('v')) text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  std::vector<unsigned> parts;
  while (true) {
    auto dot = text.find('.');
    auto part = text.substr(0, dot);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size()) return std::nullopt;
    parts.push_back(value);
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return parts;
}

int compare_versions(const std::vector<unsigned>& a, const std::vector<unsigned>& b) {
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    unsigned x = i < a.size() ? a[i] : 0;
    unsigned y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

bool at_least(const AgentVersion& version, std::string_view minimum) {
  auto wanted = parse_version(minimum);
  return version.known() && wanted && compare_versions(version.components, *wanted) >= 0;
}

}  // namespace ssmreach
