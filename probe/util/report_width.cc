#include "probe/util/report_width.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string_view>

#include "probe/util/text_util.h"

namespace ssmreach {
namespace {

// A positive number of columns, or 0 for anything else ("", "wide", "-5").
int parse_columns(const std::string& text) {
  const std::string_view digits = trim(text);
  int value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value <= 0) return 0;
  return value;
}

}  // namespace

int report_width(bool stdout_is_terminal, const std::optional<std::string>& columns,
                 int terminal_columns) {
  if (!stdout_is_terminal) return kDefaultReportWidth;
  int width = columns ? parse_columns(*columns) : 0;
  if (width == 0) width = terminal_columns;
  if (width <= 0) return kDefaultReportWidth;
  return std::clamp(width, kMinReportWidth, kMaxReportWidth);
}

int terminal_columns(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

}  // namespace ssmreach
