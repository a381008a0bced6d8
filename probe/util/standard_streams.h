// stdout and stderr, written whole and checked. A report that cannot be
// written (a full disk, a pipe whose reader left: SIGPIPE is ignored, so the
// write fails with EPIPE, a closed descriptor) must not end the run as if it
// had been: the run exits kExitOutputFailed, and says so on stderr when
// stderr still works.
#pragma once

#include <optional>
#include <string_view>

namespace ssmreach {

// Beyond the contract's 0-3: the report (or another message) could not be
// written to stdout or stderr.
inline constexpr int kExitOutputFailed = 4;

// Call first in main(). A standard descriptor that is closed gets a
// read-only /dev/null (or "/"), so that writes to it fail (EBADF) instead of
// landing in whatever file or socket the run would open next in its place.
void hold_standard_streams_open();

// Writes to one descriptor: each text whole, retried after EINTR and
// EAGAIN. The first failure is remembered (its errno); later writes are
// skipped.
class CheckedWriter {
 public:
  explicit CheckedWriter(int fd) : fd_(fd) {}
  void write(std::string_view text);
  std::optional<int> failure() const { return failure_; }

 private:
  int fd_;
  std::optional<int> failure_;
};

CheckedWriter& checked_stdout();
CheckedWriter& checked_stderr();
inline void write_stdout(std::string_view text) { checked_stdout().write(text); }
inline void write_stderr(std::string_view text) { checked_stderr().write(text); }

// `code`, or kExitOutputFailed when a write failed; then one line on
// stderr names the stream and the reason, if stderr works.
int exit_code_after_output(int code);

}  // namespace ssmreach
