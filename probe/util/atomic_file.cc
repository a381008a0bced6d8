#include "probe/util/atomic_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "netcheck/unique_fd.h"
#include "probe/util/output_file.h"

namespace ssmreach {

namespace {

bool fail(std::string* error, const std::string& path, int err) {
  if (error) *error = path + ": " + std::strerror(err);
  return false;
}

// PATH.XXXXXX in PATH's folder; when PATH's own name is too long for that
// (NAME_MAX counts bytes of one name), the name is cut to make room.
std::string temporary_pattern(const std::string& path) {
  constexpr std::string_view kSuffix = ".XXXXXX";
  const auto slash = path.rfind('/');
  const std::size_t name_start = slash == std::string::npos ? 0 : slash + 1;
  if (path.size() - name_start + kSuffix.size() <= NAME_MAX) return path + std::string(kSuffix);
  return path.substr(0, name_start + NAME_MAX - kSuffix.size()) + std::string(kSuffix);
}

// Only a regular file (or nothing) is replaced: renaming over /dev/null
// would replace the device node itself. refuse_output_path() said so
// before the run; this holds should the path have changed since.
std::optional<std::string> not_replaceable(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return std::nullopt;
  return path + ": is " + file_kind_text(st.st_mode) + ", not a regular file; not replaced";
}

}  // namespace

bool write_file_atomically(const std::string& path, const std::string& text,
                           std::optional<mode_t> exact_mode, std::string* error) {
  // A fresh, unpredictable name made with O_EXCL (mkostemp): a fixed
  // PATH.tmp opened with O_CREAT|O_TRUNC would follow a symlink planted
  // there, and ssm-reach often runs as root, with FILE in a shared folder
  // such as /tmp. A failure names the file asked for; the random name would
  // mean nothing to the reader.
  if (auto why = not_replaceable(path)) {
    if (error) *error = std::move(*why);
    return false;
  }
  std::string temporary = temporary_pattern(path);
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
  if (auto why = not_replaceable(path)) {
    ::unlink(temporary.c_str());
    if (error) *error = std::move(*why);
    return false;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temporary.c_str());
    return fail(error, path, err);
  }
  return true;
}

}  // namespace ssmreach
