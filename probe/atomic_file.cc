#include "probe/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netcheck/unique_fd.h"

namespace ssmreach {

namespace {

bool fail(std::string* error, const std::string& path, int err) {
  if (error) *error = path + ": " + std::strerror(err);
  return false;
}

}  // namespace

bool write_file_atomically(const std::string& path, const std::string& text,
                           std::optional<mode_t> exact_mode, std::string* error) {
  const std::string temporary = path + ".tmp";
  netcheck::UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                               exact_mode.value_or(0666)));
  if (!fd.valid()) return fail(error, temporary, errno);
  auto give_up = [&](int err) {
    fd.reset();
    ::unlink(temporary.c_str());
    return fail(error, temporary, err);
  };
  if (exact_mode && ::fchmod(fd.get(), *exact_mode) != 0) return give_up(errno);
  for (std::size_t written = 0; written < text.size();) {
    const ssize_t n = ::write(fd.get(), text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return give_up(errno);
    written += static_cast<std::size_t>(n);
  }
  // A crash after the rename must not leave an empty file behind.
  if (::fsync(fd.get()) != 0) return give_up(errno);
  if (::close(fd.release()) != 0) return give_up(errno);
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temporary.c_str());
    return fail(error, path, err);
  }
  return true;
}

}  // namespace ssmreach
