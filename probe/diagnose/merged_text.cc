#include "probe/diagnose/merged_text.h"

#include <algorithm>
#include <cctype>

#include "netcheck/endpoint.h"
#include "probe/util/text_util.h"

namespace ssmreach {
namespace {

constexpr char kServiceMark = '\x01';
constexpr char kAddressMark = '\x02';

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// A character that continues a name: "ssm" inside "amazon-ssm-agent" or
// "ssm_x" is not the service's name.
bool name_char(char c) { return alnum(c) || c == '-' || c == '_'; }

bool hex_or_colon(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':'; }

// Words separated by single spaces, empty ones kept: joining them with
// spaces gives the text back.
std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (true) {
    const auto space = text.find(' ', start);
    words.emplace_back(text.substr(start, space == std::string_view::npos ? space : space - start));
    if (space == std::string_view::npos) return words;
    start = space + 1;
  }
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find('\n', start);
    lines.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return lines;
    start = end + 1;
  }
}

// The length of an IPv4 address starting at `at` ("10.0.1.12" of
// "10.0.1.12:443"), or 0.
std::size_t ipv4_length(std::string_view text, std::size_t at) {
  std::size_t i = at;
  for (int group = 0; group < 4; ++group) {
    if (group > 0) {
      if (i >= text.size() || text[i] != '.') return 0;
      ++i;
    }
    const std::size_t digits = i;
    while (i < text.size() && i - digits < 3 && std::isdigit(static_cast<unsigned char>(text[i])))
      ++i;
    if (i == digits) return 0;
  }
  // "1.2.3.4.5" or "1.2.3.4567" is something else.
  if (i < text.size() &&
      (alnum(text[i]) || (text[i] == '.' && i + 1 < text.size() && alnum(text[i + 1]))))
    return 0;
  return i - at;
}

// The length of an IPv6 address starting at `at`, or 0.
std::size_t ipv6_length(std::string_view text, std::size_t at) {
  std::size_t end = at;
  while (end < text.size() && (hex_or_colon(text[end]) || text[end] == '.')) ++end;
  // A trailing dot or colon ends the sentence or opens a port, "fd00::1:".
  while (end > at && (text[end - 1] == '.' || text[end - 1] == ':')) {
    const auto candidate = text.substr(at, end - at);
    if (candidate.ends_with("::")) break;
    --end;
  }
  const auto candidate = text.substr(at, end - at);
  if (std::count(candidate.begin(), candidate.end(), ':') < 2) return 0;
  const auto ip = netcheck::parse_ip(candidate);
  return ip && ip->family == netcheck::Family::v6 ? candidate.size() : 0;
}

// The longest prefix all words share that ends where a word's part ends
// (after a '.', ',', ':' ...), and likewise the longest suffix.
std::pair<std::size_t, std::size_t> shared_ends(const std::vector<std::string>& words) {
  std::size_t shortest = words.front().size();
  for (const auto& w : words) shortest = std::min(shortest, w.size());
  auto all_equal_at = [&](auto index_of) {
    const char c = words.front()[index_of(words.front())];
    return std::all_of(words.begin(), words.end(),
                       [&](const auto& w) { return w[index_of(w)] == c; });
  };
  std::size_t prefix = 0;
  while (prefix < shortest && all_equal_at([&](const auto&) { return prefix; })) ++prefix;
  while (prefix > 0 && alnum(words.front()[prefix - 1])) --prefix;
  std::size_t suffix = 0;
  while (suffix < shortest - prefix &&
         all_equal_at([&](const auto& w) { return w.size() - 1 - suffix; }))
    ++suffix;
  while (suffix > 0 && alnum(words.front()[words.front().size() - suffix])) --suffix;
  return {prefix, suffix};
}

// "203.0.113.{10,11,12},": each member's version of a word, in order.
std::string brace_word(const std::vector<std::string>& words) {
  const auto [prefix, suffix] = shared_ends(words);
  std::vector<std::string> middles;
  for (const auto& w : words) middles.push_back(w.substr(prefix, w.size() - prefix - suffix));
  const std::string& first = words.front();
  return first.substr(0, prefix) + "{" + join(middles, ",") + "}" +
         first.substr(first.size() - suffix);
}

// The same template for every member's word, with the service's mark in it.
std::optional<std::string> shared_service_template(const std::vector<std::string>& words,
                                                   const std::vector<std::string>& services) {
  const std::string t = service_template(words.front(), services.front());
  if (t.find(kServiceMark) == std::string::npos) return std::nullopt;
  for (std::size_t i = 1; i < words.size(); ++i)
    if (service_template(words[i], services[i]) != t) return std::nullopt;
  return t;
}

std::string replace_marks(const std::string& t, const std::string& by) {
  std::string out;
  for (const char c : t) {
    if (c == kServiceMark)
      out += by;
    else
      out += c;
  }
  return out;
}

// The length of a host name that starts with the service's mark
// ("\x01.eu-west-1.amazonaws.com" of "\x01.eu-west-1.amazonaws.com."), or 0.
std::size_t service_host_length(const std::string& t) {
  if (t.size() < 3 || t[0] != kServiceMark || t[1] != '.') return 0;
  std::size_t end = 1;
  while (end < t.size() && (name_char(t[end]) || t[end] == '.')) ++end;
  while (end > 1 && t[end - 1] == '.') --end;  // a full stop ends the sentence
  return end > 2 ? end : 0;
}

// A word that differs between members, in prose: the services listed where
// the word is just the service's name ("for ssm, ssmmessages and ec2messages."),
// else each member's version in braces.
std::string merged_word(const std::vector<std::string>& words,
                        const std::vector<std::string>& services, HostNames host_names) {
  if (const auto t = shared_service_template(words, services)) {
    const auto mark = t->find(kServiceMark);
    const bool bare = std::count(t->begin(), t->end(), kServiceMark) == 1 &&
                      std::none_of(t->begin(), t->end(), alnum);
    if (bare) return t->substr(0, mark) + list_and(services) + t->substr(mark + 1);
    const std::size_t host = service_host_length(*t);
    const bool rest_plain = std::none_of(t->begin() + static_cast<std::ptrdiff_t>(host), t->end(),
                                         [](char c) { return alnum(c) || c == kServiceMark; });
    if (host_names == HostNames::each && host > 0 && rest_plain)
      return "each endpoint name" + t->substr(host);
    return replace_marks(*t, "{" + join(services, ",") + "}");
  }
  return brace_word(words);
}

// Whether a position of a shell command is inside single quotes, where the
// shell would not expand $s.
bool quoted_at(const std::string& command, std::size_t at) {
  bool quoted = false;
  for (std::size_t i = 0; i < at && i < command.size(); ++i)
    if (command[i] == '\'') quoted = !quoted;
  return quoted;
}

// The loop over the services, when the commands differ only by service.
std::optional<std::string> service_loop(const std::vector<std::string>& commands,
                                        const std::vector<std::string>& services) {
  std::vector<std::vector<std::string>> words;
  for (const auto& c : commands) words.push_back(words_of(c));
  for (const auto& w : words)
    if (w.size() != words.front().size()) return std::nullopt;
  std::vector<std::string> body;
  for (std::size_t k = 0; k < words.front().size(); ++k) {
    std::vector<std::string> column;
    for (const auto& w : words) column.push_back(w[k]);
    if (std::all_of(column.begin(), column.end(), [&](const auto& x) { return x == column[0]; })) {
      body.push_back(column[0]);
      continue;
    }
    const auto t = shared_service_template(column, services);
    if (!t) return std::nullopt;
    body.push_back(*t);
  }
  const std::string command = join(body, " ");
  // The loop's variable must be ours, and expand where the name was.
  if (contains(command, "$s") || contains(command, "${s")) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < command.size(); ++i) {
    if (command[i] != kServiceMark) {
      out += command[i];
      continue;
    }
    if (quoted_at(command, i)) return std::nullopt;
    const bool glued = i + 1 < command.size() && (alnum(command[i + 1]) || command[i + 1] == '_');
    out += glued ? "${s}" : "$s";
  }
  return "for s in " + join(services, " ") + "; do " + out + "; done";
}

// One command line for all members: once, as a loop, or once per member.
std::vector<std::string> merged_command(const std::vector<std::string>& commands,
                                        const std::vector<std::string>& services) {
  if (std::all_of(commands.begin(), commands.end(),
                  [&](const auto& c) { return c == commands.front(); }))
    return {"$ " + commands.front()};
  if (const auto loop = service_loop(commands, services)) return {"$ " + *loop};
  std::vector<std::string> out;
  for (const auto& c : commands)
    if (std::find(out.begin(), out.end(), "$ " + c) == out.end()) out.push_back("$ " + c);
  return out;
}

}  // namespace

std::string service_template(std::string_view text, std::string_view service) {
  std::string out;
  if (service.empty()) return std::string(text);
  std::size_t i = 0;
  while (i < text.size()) {
    const bool here = text.substr(i, service.size()) == service &&
                      (i == 0 || !name_char(text[i - 1])) &&
                      (i + service.size() == text.size() || !name_char(text[i + service.size()]));
    if (here) {
      out += kServiceMark;
      i += service.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string address_template(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const bool starts = i == 0 || !(alnum(text[i - 1]) || text[i - 1] == '.' || text[i - 1] == ':');
    std::size_t length = 0;
    if (starts && hex_or_colon(text[i])) {
      length = ipv6_length(text, i);
      if (length == 0) length = ipv4_length(text, i);
    }
    if (length > 0) {
      out += kAddressMark;
      i += length;
    } else {
      out += text[i++];
    }
  }
  return out;
}

bool same_up_to_names(std::string_view a, std::string_view a_service, std::string_view b,
                      std::string_view b_service) {
  const auto a_lines = lines_of(a), b_lines = lines_of(b);
  if (a_lines.size() != b_lines.size()) return false;
  for (std::size_t i = 0; i < a_lines.size(); ++i) {
    const auto a_words = words_of(a_lines[i]), b_words = words_of(b_lines[i]);
    if (a_words.size() != b_words.size()) return false;
    for (std::size_t k = 0; k < a_words.size(); ++k) {
      if (a_words[k] == b_words[k]) continue;
      const std::string x = service_template(a_words[k], a_service);
      const std::string y = service_template(b_words[k], b_service);
      if (x != y && address_template(x) != address_template(y)) return false;
    }
  }
  return true;
}

std::optional<std::string> merge_prose(const std::vector<std::string>& texts,
                                       const std::vector<std::string>& services,
                                       HostNames host_names) {
  if (texts.empty() || texts.size() != services.size()) return std::nullopt;
  std::vector<std::vector<std::string>> words;
  for (const auto& t : texts) words.push_back(words_of(t));
  for (const auto& w : words)
    if (w.size() != words.front().size()) return std::nullopt;
  std::vector<std::string> merged;
  for (std::size_t k = 0; k < words.front().size(); ++k) {
    std::vector<std::string> column;
    for (const auto& w : words) column.push_back(w[k]);
    const bool same = std::all_of(column.begin(), column.end(),
                                  [&](const auto& x) { return x == column.front(); });
    merged.push_back(same ? column.front() : merged_word(column, services, host_names));
  }
  return join(merged, " ");
}

std::optional<std::string> merge_remedy(const std::vector<std::string>& remedies,
                                        const std::vector<std::string>& services) {
  if (remedies.empty() || remedies.size() != services.size()) return std::nullopt;
  std::vector<std::vector<std::string>> lines;
  for (const auto& r : remedies) lines.push_back(lines_of(r));
  for (const auto& l : lines)
    if (l.size() != lines.front().size()) return std::nullopt;
  std::vector<std::string> out;
  for (std::size_t k = 0; k < lines.front().size(); ++k) {
    std::vector<std::string> column;
    std::size_t commands = 0;
    for (const auto& l : lines) {
      column.push_back(l[k]);
      if (l[k].starts_with("$ ")) ++commands;
    }
    if (commands == column.size()) {
      for (auto& c : column) c.erase(0, 2);
      for (auto& line : merged_command(column, services)) out.push_back(std::move(line));
    } else if (commands == 0) {
      auto prose = merge_prose(column, services);
      if (!prose) return std::nullopt;
      out.push_back(std::move(*prose));
    } else {
      return std::nullopt;
    }
  }
  return join(out, "\n");
}

}  // namespace ssmreach
