#include "probe/util/standard_streams.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "probe/util/text_util.h"

namespace ssmreach {

namespace {

// False with errno set when the text could not be written whole.
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n >= 0) {
      text.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {  // a non-blocking descriptor inherited
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) return false;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

void CheckedWriter::write(std::string_view text) {
  if (failure_) return;
  if (!write_all(fd_, text)) failure_ = errno;
}

CheckedWriter& checked_stdout() {
  static CheckedWriter writer(STDOUT_FILENO);
  return writer;
}

CheckedWriter& checked_stderr() {
  static CheckedWriter writer(STDERR_FILENO);
  return writer;
}

void hold_standard_streams_open() {
  for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    int placeholder = ::open("/dev/null", O_RDONLY);
    if (placeholder < 0) placeholder = ::open("/", O_RDONLY | O_DIRECTORY);
    if (placeholder < 0) continue;
    if (placeholder != fd) {
      ::dup2(placeholder, fd);
      ::close(placeholder);
    }
  }
}

int exit_code_after_output(int code) {
  const auto out = checked_stdout().failure();
  if (!out && !checked_stderr().failure()) return code;
  if (out)
    write_stderr("ssm-reach: cannot write to stdout: " + errno_text(*out) +
                 "; the output is lost (exit " + std::to_string(kExitOutputFailed) + ")\n");
  return kExitOutputFailed;
}

}  // namespace ssmreach
