#include "probe/boot_json_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "netcheck/unique_fd.h"

namespace ssmreach {

namespace {

bool fail(std::string* error, const std::string& path, int err) {
  if (error) *error = path + ": " + std::strerror(err);
  return false;
}

// Missing directories of `directory`, created 0755 whatever the umask: a
// boot unit's umask may be stricter, and the report is for every admin.
bool make_directories(const std::filesystem::path& directory, std::string* error) {
  if (directory.empty() || std::filesystem::is_directory(directory)) return true;
  if (!make_directories(directory.parent_path(), error)) return false;
  if (::mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
    return fail(error, directory.string(), errno);
  if (::chmod(directory.c_str(), 0755) != 0) return fail(error, directory.string(), errno);
  return true;
}

}  // namespace

bool write_boot_json(const std::string& path, const std::string& json, std::string* error) {
  if (!make_directories(std::filesystem::path(path).parent_path(), error)) return false;
  const std::string temporary = path + ".tmp";
  netcheck::UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return fail(error, temporary, errno);
  auto give_up = [&](int err) {
    fd.reset();
    ::unlink(temporary.c_str());
    return fail(error, temporary, err);
  };
  if (::fchmod(fd.get(), 0644) != 0) return give_up(errno);
  for (std::size_t written = 0; written < json.size();) {
    const ssize_t n = ::write(fd.get(), json.data() + written, json.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return give_up(errno);
    written += static_cast<std::size_t>(n);
  }
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
