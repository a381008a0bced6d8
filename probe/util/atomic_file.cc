#include "probe/util/atomic_file.h"

#include <fcntl.h>
#include <stdlib.h>
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
  // A fresh, unpredictable name made with O_EXCL (mkostemp): a fixed
  // PATH.tmp opened with O_CREAT|O_TRUNC would follow a symlink planted
  // there, and ssm-reach often runs as root, with FILE in a shared folder
  // such as /tmp. A failure names the file asked for; the random name would
  // mean nothing to the reader.
  std::string temporary = path + ".XXXXXX";
  netcheck::UniqueFd fd(::mkostemp(temporary.data(), O_CLOEXEC));
  if (!fd.valid()) return fail(error, path, errno);
  auto give_up = [&](int err) {
    fd.reset();
    ::unlink(temporary.c_str());
    return fail(error, path, err);
  };
  // mkostemp creates 0600; the file gets what open(..., 0666) would have
  // given it (the umask read back at once: nothing else creates files now),
  // or exactly `exact_mode`.
  mode_t mode = 0;
  if (exact_mode) {
    mode = *exact_mode;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  if (::fchmod(fd.get(), mode) != 0) return give_up(errno);
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
