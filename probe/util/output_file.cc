#include "probe/util/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "netcheck/unique_fd.h"
#include "probe/util/printable.h"

namespace ssmreach {

namespace {

std::string_view skip_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\r' ||
                           text.front() == '\t'))
    text.remove_prefix(1);
  return text;
}

bool consume(std::string_view& text, std::string_view word) {
  text = skip_blanks(text);
  if (!text.starts_with(word)) return false;
  text.remove_prefix(word.size());
  return true;
}

// The first bytes of a regular file, read without following a link or
// blocking; nullopt when it cannot be read.
std::optional<std::string> head_of(const std::string& path) {
  netcheck::UniqueFd fd(
      ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW));
  if (!fd.valid()) return std::nullopt;
  std::array<char, 256> buffer{};
  ssize_t n = 0;
  do {
    n = ::read(fd.get(), buffer.data(), buffer.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return std::nullopt;
  return std::string(buffer.data(), static_cast<std::size_t>(n));
}

std::string link_target(const std::string& path) {
  std::array<char, 4096> buffer{};
  const ssize_t n = ::readlink(path.c_str(), buffer.data(), buffer.size() - 1);
  if (n <= 0) return "";
  return std::string(buffer.data(), static_cast<std::size_t>(n));
}

}  // namespace

bool looks_like_ssm_reach_output(std::string_view head) {
  if (!consume(head, "{") || !consume(head, "\"schema\"") || !consume(head, ":")) return false;
  return consume(head, "\"ssm-reach-evidence/v1\"") || consume(head, "\"ssm-reach/v1\"");
}

std::string file_kind_text(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return "a directory";
    case S_IFCHR:
      return "a character device";
    case S_IFBLK:
      return "a block device";
    case S_IFIFO:
      return "a FIFO";
    case S_IFSOCK:
      return "a socket";
    case S_IFLNK:
      return "a symbolic link";
    case S_IFREG:
      return "a regular file";
    default:
      return "not a regular file";
  }
}

std::optional<std::string> refuse_output_path(const std::string& path, bool force) {
  if (path == kStdoutPath) return std::nullopt;
  const std::string shown = printable_line(path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (path.ends_with('/'))
      return shown + ": ends in '/': give a file name, for example " + shown + "ssm-reach.json";
    return std::nullopt;  // a new file; a missing folder is said when writing
  }
  if (S_ISDIR(st.st_mode)) {
    const std::string folder = path.ends_with('/') ? shown : shown + "/";
    return shown + ": is a directory; give a file name in it, for example " + folder +
           "ssm-reach.json";
  }
  if (S_ISLNK(st.st_mode)) {
    const std::string target = link_target(path);
    return shown + ": is a symbolic link" +
           (target.empty() ? "" : " (to " + printable_line(target) + ")") +
           ", which ssm-reach neither follows nor replaces; give the file itself" +
           (target.starts_with("/dev/") || target.starts_with("/proc/") ? ", or - for stdout" : "");
  }
  if (!S_ISREG(st.st_mode))
    return shown + ": is " + file_kind_text(st.st_mode) +
           ", not a regular file; ssm-reach replaces only regular files (- writes to stdout)";
  if (force || st.st_size == 0) return std::nullopt;
  const auto head = head_of(path);
  if (head && looks_like_ssm_reach_output(*head)) return std::nullopt;
  return shown +
         ": exists and is not an earlier ssm-reach report or evidence file; "
         "not replaced (--force replaces it)";
}

}  // namespace ssmreach
