#include "probe/report/boot_json_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "probe/util/atomic_file.h"

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
  return write_file_atomically(path, json, 0644, error);
}

}  // namespace ssmreach
