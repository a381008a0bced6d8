#include "probe/report/report_boot.h"

namespace ssmreach {

namespace {

std::string first_usable_ip(const TargetVerdict& target) {
  for (const auto& address : target.addresses)
    if (address.usable) return address.ip;
  return "";
}

std::string target_line(const TargetVerdict& target) {
  // "ok" and "skipped" stay quiet, as in the text report's RESULT column.
  std::string line = target.service + " " + status_word(target.status);
  if (target.status == Status::ok) {
    const std::string ip = first_usable_ip(target);
    return ip.empty() ? line : line + " " + ip;
  }
  if (target.cause) line += std::string(" ") + to_string(*target.cause);
  std::string headline = target.headline;
  if (!headline.empty() && headline.back() == '.') headline.pop_back();
  return headline.empty() ? line : line + " " + headline;
}

}  // namespace

std::string boot_line(const std::string& text, std::size_t width) {
  std::string line = kBootLinePrefix;
  for (unsigned char c : text) {
    if (c == '\n' || c == '\t' || c == '\r' || (c < 0x20) || c == 0x7f)
      line += ' ';
    else if (c > 0x7f)
      line += '?';
    else
      line += static_cast<char>(c);
  }
  if (line.size() > width) line = line.substr(0, width - 3) + "...";
  return line + "\n";
}

std::string boot_start_line(const std::string& version, const std::string& utc_time,
                            const std::string& wait_text) {
  return boot_line("boot/" + std::to_string(kBootLinesFormat) + " " + version + " " + utc_time +
                   ": " + wait_text);
}

std::string render_boot_summary(const Verdict& verdict, const std::string& details) {
  std::string out;
  if (verdict.imds) out += boot_line(target_line(*verdict.imds));
  for (const auto& target : verdict.targets) out += boot_line(target_line(target));
  for (const auto& note : verdict.notes) out += boot_line("note: " + note);
  out += boot_line("result " + std::string(upper_word(verdict.status)) + " (exit " +
                   std::to_string(exit_code(verdict.status)) + ") - details: " + details);
  return out;
}

}  // namespace ssmreach
