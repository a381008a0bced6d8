#include "probe/report/boot_lines_reader.h"

#include <charconv>

#include "probe/report/report_boot.h"

namespace ssmreach {
namespace {

constexpr Status kAllStatuses[] = {Status::ok, Status::warning, Status::critical, Status::unknown,
                                   Status::skipped};

// The status a boot line writes as `word` (status_word: "ok", "CRITICAL").
std::optional<Status> status_of_word(std::string_view word) {
  for (Status s : kAllStatuses)
    if (word == status_word(s)) return s;
  return std::nullopt;
}

// The result line writes the word in capitals ("OK", "CRITICAL").
std::optional<Status> status_of_upper_word(std::string_view word) {
  for (Status s : kAllStatuses)
    if (word == upper_word(s)) return s;
  return std::nullopt;
}

// The next space-separated word of `rest`, consumed.
std::string_view next_word(std::string_view& rest) {
  const auto end = rest.find(' ');
  const std::string_view word = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return word;
}

bool is_name(std::string_view word) {
  if (word.empty()) return false;
  for (char c : word)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

class Reader {
 public:
  void line(std::string_view text) {
    std::string_view rest = text;
    const std::string_view first = next_word(rest);
    if (first.starts_with("boot/")) return start(first.substr(5), rest);
    if (first == "boot" && legacy_start(rest)) return;
    if (first == "result") return result(rest);
    if (current_ && !current_->format_known()) return;  // a newer format: not ours to read
    if (first == "note:" || first == "warning:") {
      check().notes.emplace_back(text.substr(first == "note:" ? 6 : 0));
      return;
    }
    if (is_name(first) && target(first, rest)) return;
    check().unreadable_lines++;
  }

  std::vector<BootCheck> take() {
    close();
    return std::move(checks_);
  }

 private:
  // The check lines belong to; one without its first line when that is
  // missing (the console's buffer starts after it).
  BootCheck& check() {
    if (!current_) current_ = BootCheck{};
    return *current_;
  }

  void close() {
    if (current_) checks_.push_back(std::move(*current_));
    current_.reset();
  }

  // "boot/1 0.1.0 2026-12-06T10:00:00Z: network ready after 0.1 s"
  void start(std::string_view format, std::string_view rest) {
    close();
    BootCheck& c = check();
    int number = 0;
    auto [end, ec] = std::from_chars(format.data(), format.data() + format.size(), number);
    if (ec != std::errc() || end != format.data() + format.size() || number < 1) {
      c.unreadable_lines++;
      return;
    }
    c.format = number;
    c.tool_version = std::string(next_word(rest));
    if (!c.format_known()) return;
    std::string_view time = next_word(rest);
    if (time.ends_with(':')) time.remove_suffix(1);
    c.checked_at = std::string(time);
  }

  // Before the format had a number: "boot 0.1.0: network ready after 0.1 s".
  bool legacy_start(std::string_view rest) {
    const std::string_view version = next_word(rest);
    if (!version.ends_with(':') || version.size() < 2) return false;
    close();
    check().format = 0;
    check().tool_version = std::string(version.substr(0, version.size() - 1));
    return true;
  }

  // "result CRITICAL (exit 2) - details: /var/log/ssm-reach/boot.json"
  void result(std::string_view rest) {
    const auto status = status_of_upper_word(next_word(rest));
    if (!status) {
      check().unreadable_lines++;
      return;
    }
    check().result = status;
    close();
  }

  // "ssm ok 10.0.1.10", "ssmmessages CRITICAL tcp.timeout TCP 443 to ..."
  bool target(std::string_view name, std::string_view rest) {
    const auto status = status_of_word(next_word(rest));
    if (!status) return false;
    BootTargetLine line;
    line.target = std::string(name);
    line.status = *status;
    if (*status != Status::ok && *status != Status::skipped) {
      std::string_view after = rest;
      if (auto cause = cause_from_string(next_word(after))) {
        line.cause = cause;
        rest = after;
      }
    }
    line.text = std::string(rest);
    check().targets.push_back(std::move(line));
    return true;
  }

  std::optional<BootCheck> current_;
  std::vector<BootCheck> checks_;
};

}  // namespace

std::vector<BootCheck> read_boot_checks(std::string_view console) {
  Reader reader;
  const std::string_view prefix = kBootLinePrefix;
  while (!console.empty()) {
    const auto end = console.find('\n');
    std::string_view line = console.substr(0, end);
    console = end == std::string_view::npos ? std::string_view() : console.substr(end + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    const auto at = line.find(prefix);
    if (at != std::string_view::npos) reader.line(line.substr(at + prefix.size()));
  }
  return reader.take();
}

}  // namespace ssmreach
