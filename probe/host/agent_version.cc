#include "probe/host/agent_version.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "netcheck/unique_fd.h"
#include "probe/host/agent_config.h"
#include "probe/util/text_util.h"

namespace ssmreach {

namespace {

constexpr std::string_view kPackage = "amazon-ssm-agent";

// Calls `line` for each line of `text` (without the newline).
template <typename F>
void for_each_line(std::string_view text, F line) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    line(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A regular file mapped read-only: dpkg's status is a megabyte or more on a
// server, of which one stanza matters. Mapped, its pages come straight from
// the page cache; read into a string they cost a copy and, on a VM, a
// page fault per 4 KiB (milliseconds of CPU).
class MappedFile {
 public:
  // Empty `error`: mapped (or empty). Otherwise why not, as read_text_file says it.
  MappedFile(const std::string& path, std::size_t max_bytes) {
    netcheck::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    struct stat st {};
    if (!fd.valid()) {
      missing_ = errno == ENOENT || errno == ENOTDIR;
      error_ = errno_text(errno);
      return;
    }
    if (::fstat(fd.get(), &st) != 0) {
      error_ = errno_text(errno);
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      error_ = "is a directory";
      return;
    }
    if (!S_ISREG(st.st_mode)) {
      error_ = "is not a regular file";
      return;
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > max_bytes) {
      error_ = "is larger than " + std::to_string(max_bytes >> 20) + " MiB";
      return;
    }
    if (size_ == 0) return;
    void* at = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (at == MAP_FAILED) {
      error_ = errno_text(errno);
      size_ = 0;
      return;
    }
    data_ = static_cast<const char*>(at);
  }
  ~MappedFile() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  bool missing() const { return missing_; }
  const std::string& error() const { return error_; }
  // Valid while this object lives. A file truncated meanwhile would fault:
  // dpkg replaces its status file by rename, never in place.
  std::string_view text() const { return {data_ ? data_ : "", data_ ? size_ : 0}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  bool missing_ = false;
  std::string error_;
};

bool blank(std::string_view line) { return trim(line).empty(); }

// The line of `text` that holds position `at`, without its newline.
std::string_view line_at(std::string_view text, std::size_t at) {
  const std::size_t begin = at == 0 ? 0 : text.rfind('\n', at - 1) + 1;  // npos + 1 == 0
  const std::size_t end = text.find('\n', at);
  return text.substr(begin, end == std::string_view::npos ? end : end - begin);
}

// The deb822 stanza (lines between blank lines) around the line starting at `at`.
std::string_view stanza_around(std::string_view text, std::size_t at) {
  std::size_t begin = at;
  while (begin > 0) {
    const std::size_t previous = begin == 1 ? 0 : text.rfind('\n', begin - 2) + 1;
    if (blank(text.substr(previous, begin - 1 - previous))) break;
    begin = previous;
  }
  std::size_t end = at;
  while (end < text.size()) {
    const std::size_t next = text.find('\n', end);
    if (blank(line_at(text, end))) break;
    end = next == std::string_view::npos ? text.size() : next + 1;
  }
  return text.substr(begin, end - begin);
}

// The stanzas whose Package is the agent's: found by searching, so the
// other thousand packages of a server are not parsed line by line.
std::vector<std::string_view> package_stanzas(std::string_view text, std::string_view package) {
  std::vector<std::string_view> out;
  const std::string field = "Package: " + std::string(package);
  // memmem, not string_view::find: that one stops at every 'P' of a
  // megabyte of package names ("Priority", "Provides", ...), a millisecond.
  const auto find = [&](std::size_t from) -> std::size_t {
    if (from >= text.size()) return std::string_view::npos;
    const void* hit = ::memmem(text.data() + from, text.size() - from, field.data(), field.size());
    return hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - text.data())
               : std::string_view::npos;
  };
  for (std::size_t at = find(0); at != std::string_view::npos; at = find(at + 1)) {
    if (at != 0 && text[at - 1] != '\n') continue;
    if (trim(line_at(text, at).substr(8)) != package) continue;  // "amazon-ssm-agent-x"
    out.push_back(stanza_around(text, at));
  }
  return out;
}

// The leading run of digits and dots, without a trailing dot: "3.3.40.0" from
// "3.3.40.0-1" or "3.3.40.0'".
std::string_view leading_version(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && (is_digit(s[n]) || s[n] == '.')) ++n;
  s = s.substr(0, n);
  while (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

// The first A.B.C[.D...] (three parts at least, so dates and counts do not
// pass) at or after `from`.
std::optional<std::string> find_version_token(std::string_view text, std::size_t from = 0) {
  for (std::size_t i = from; i < text.size(); ++i) {
    if (!is_digit(text[i]) || (i > 0 && (is_digit(text[i - 1]) || text[i - 1] == '.'))) continue;
    auto token = leading_version(text.substr(i));
    auto parts = parse_version(token);
    if (parts && parts->size() >= 3) return std::string(token);
    i += token.size();
  }
  return std::nullopt;
}

void set(std::string* note, std::string text) {
  if (note) *note = std::move(text);
}

// Reads a bounded file for a source, or explains why not.
std::optional<std::string> read_source(const std::string& path, std::size_t max_bytes, bool tail,
                                       std::string* note) {
  auto read = read_text_file(path, max_bytes, tail);
  if (read.status == FileRead::Status::missing) {
    set(note, path + " does not exist");
    return std::nullopt;
  }
  if (read.status == FileRead::Status::failed) {
    set(note, "cannot read " + path + ": " + read.error);
    return std::nullopt;
  }
  return std::move(read.text);
}

}  // namespace

std::optional<std::string> agent_version_from_dpkg(const std::string& status_file,
                                                   std::string* note) {
  // /var/lib/dpkg/status is a few MiB on a large server; 64 MiB bounds it.
  const MappedFile file(status_file, std::size_t{64} << 20);
  if (file.missing()) {
    set(note, status_file + " does not exist");
    return std::nullopt;
  }
  if (!file.error().empty()) {
    set(note, "cannot read " + status_file + ": " + file.error());
    return std::nullopt;
  }
  // deb822 stanzas separated by blank lines. The agent's .deb names itself
  // "Package: amazon-ssm-agent" with "Version: <VERSION>-1"
  // (aws/amazon-ssm-agent Tools/src/create_deb.sh).
  std::string seen_status;
  std::optional<std::string> found;
  for (std::string_view stanza : package_stanzas(file.text(), kPackage)) {
    std::string status, version;
    for_each_line(stanza, [&](std::string_view line) {
      if (line.starts_with("Status:")) status = trim(line.substr(7));
      if (line.starts_with("Version:")) version = trim(line.substr(8));
    });
    // "Status: install ok installed"; the last word is the package state,
    // and only these mean the files are on disk and configured.
    auto state = status.substr(status.rfind(' ') + 1);
    if (state == "installed" || state == "triggers-pending" || state == "triggers-awaited") {
      found = version;
      break;
    }
    seen_status = status;
  }
  if (!found) {
    set(note, seen_status.empty()
                  ? status_file + " lists no " + std::string(kPackage) + " package"
                  : std::string(kPackage) + " is not installed (Status: " + seen_status + ")");
    return std::nullopt;
  }
  // Debian version [EPOCH:]UPSTREAM[-REVISION]; the agent's is the upstream.
  std::string_view v = *found;
  if (auto colon = v.find(':'); colon != std::string_view::npos) v.remove_prefix(colon + 1);
  auto upstream = leading_version(v);
  if (!parse_version(upstream)) {
    set(note, "unrecognised version '" + printable_excerpt(*found) + "' in " + status_file);
    return std::nullopt;
  }
  return std::string(upstream);
}

std::optional<std::string> agent_version_from_snap(const std::string& snap_yaml,
                                                   std::string* note) {
  // An installed snap is mounted at /snap/NAME/REVISION with its metadata in
  // meta/snap.yaml (snapcraft.io/docs "The snap format"); the agent's
  // snapcraft.yml sets "version: {{version}}" (packaging/snap/snapcraft.yml).
  auto text = read_source(snap_yaml, kMaxAgentFileBytes, false, note);
  if (!text) return std::nullopt;
  std::optional<std::string> found;
  for_each_line(*text, [&](std::string_view line) {
    if (found || !line.starts_with("version:")) return;
    auto value = trim(line.substr(8));
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') &&
        value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    found = std::string(value);
  });
  if (!found) {
    set(note, snap_yaml + " has no version line");
    return std::nullopt;
  }
  if (!parse_version(*found)) {
    set(note, "unrecognised version '" + printable_excerpt(*found) + "' in " + snap_yaml);
    return std::nullopt;
  }
  return found;
}

std::optional<std::string> agent_version_from_log(const std::string& log_file, std::string* note) {
  // At start the agent logs version.String(), "amazon-ssm-agent - v3.0.161.0"
  // (agent/version/formatting.go, core/app/agent.go), e.g.
  //   INFO [amazon-ssm-agent] Starting Core Agent: amazon-ssm-agent - v3.0.161.0
  // and agent 2.x "INFO Starting Agent: amazon-ssm-agent - v2.3.871.0". The
  // last such line in the log's tail is the latest start.
  auto text = read_source(log_file, kMaxAgentFileBytes, true, note);
  if (!text) return std::nullopt;
  constexpr std::string_view kMarker = "amazon-ssm-agent - v";
  for (auto at = text->rfind(kMarker); at != std::string::npos;
       at = at == 0 ? std::string::npos : text->rfind(kMarker, at - 1)) {
    auto token = leading_version(std::string_view(*text).substr(at + kMarker.size()));
    if (parse_version(token)) return std::string(token);
  }
  set(note, "no start-up line naming a version in the last " +
                std::to_string(kMaxAgentFileBytes >> 20) + " MiB of " + log_file);
  return std::nullopt;
}

namespace {

// Whether `binary` may be run as root: an absolute path to a regular,
// executable file nobody else could have replaced; else `note` says why not.
bool safe_to_run(const std::string& binary, std::string* note) {
  if (binary.empty() || binary.front() != '/') {
    set(note, "'" + printable_excerpt(binary) + "' is not an absolute path; not run");
    return false;
  }
  struct stat st {};
  if (::stat(binary.c_str(), &st) != 0) {
    set(note, errno == ENOENT ? binary + " does not exist" : binary + ": " + errno_text(errno));
    return false;
  }
  if (!S_ISREG(st.st_mode) || ::access(binary.c_str(), X_OK) != 0) {
    set(note, binary + " is not an executable file; not run");
    return false;
  }
  // ssm-reach often runs as root: never execute a file someone else could
  // have replaced (the agent holds its own binaries to the same rule,
  // agent/appconfig/constants_unix.go, DisallowedAgentBinaryPermissionMask).
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 || (st.st_uid != 0 && st.st_uid != ::geteuid())) {
    set(note, binary + " is writable by others or owned by another user; not run");
    return false;
  }
  return true;
}

// Starts `binary -version` with its stdout on `write_fd`; posix_spawn's
// result (0 when `pid` runs).
int spawn_version_command(const std::string& binary, int write_fd, pid_t& pid) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_fd, 1);  // dup2 clears CLOEXEC
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  // Its own process group, so a timeout kills whatever it started too; a
  // clean signal state whatever ssm-reach ignores or blocks.
  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP}) sigaddset(&default_signals, sig);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &no_signals);
  posix_spawnattr_setsigdefault(&attr, &default_signals);
  // No shell, a fixed path, and a minimal environment (nothing of ours,
  // such as AWS credentials in the environment, reaches the child).
  char* argv[] = {const_cast<char*>(binary.c_str()), const_cast<char*>("-version"), nullptr};
  char* envp[] = {const_cast<char*>("PATH=/usr/sbin:/usr/bin:/sbin:/bin"),
                  const_cast<char*>("LANG=C"), nullptr};
  const int rc = ::posix_spawn(&pid, binary.c_str(), &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc;
}

}  // namespace

std::optional<std::string> agent_version_from_binary(const std::string& binary, double timeout_s,
                                                     std::string* note) {
  // `amazon-ssm-agent -version` prints "SSM Agent version: X" and exits
  // (core/agent_parser.go, handleAgentVersionFlag; agents from 3.0.502.0,
  // older ones reject the flag and exit).
  if (!safe_to_run(binary, note)) return std::nullopt;

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    set(note, "pipe: " + errno_text(errno));
    return std::nullopt;
  }
  netcheck::UniqueFd read_end(fds[0]);
  netcheck::UniqueFd write_end(fds[1]);

  pid_t pid = -1;
  const int rc = spawn_version_command(binary, write_end.get(), pid);
  write_end.reset();  // the child holds the only write end now: EOF when it is done
  if (rc != 0) {
    set(note, "cannot run " + binary + ": " + errno_text(rc));
    return std::nullopt;
  }

  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(timeout_s));
  auto remaining_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return static_cast<int>(std::max<long long>(0, left.count()));
  };
  std::string output;
  bool eof = false;
  while (!eof && remaining_ms() > 0) {
    pollfd pfd{read_end.get(), POLLIN, 0};
    int ready = ::poll(&pfd, 1, remaining_ms());
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char buffer[4096];
    ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      eof = true;
      break;
    }
    if (output.size() < 4096) output.append(buffer, static_cast<std::size_t>(n));
  }
  // Reap it; past the deadline, kill its whole group first.
  int status = 0;
  bool timed_out = false;
  while (true) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (remaining_ms() > 0) {
      ::usleep(10 * 1000);
      continue;
    }
    timed_out = true;
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    break;
  }
  if (!eof && !timed_out) {  // it exited, but something it started kept the pipe open
    timed_out = true;
    ::kill(-pid, SIGKILL);
  }
  if (timed_out) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", timeout_s);
    set(note, binary + " -version gave no answer within " + seconds + " s; stopped it");
    return std::nullopt;
  }
  std::string_view out = output;
  auto marker = out.find("version:");
  auto version = find_version_token(out, marker == std::string_view::npos ? 0 : marker);
  if (!version) {
    std::string how = WIFEXITED(status)
                          ? "exited with status " + std::to_string(WEXITSTATUS(status))
                          : "was killed by a signal";
    set(note, binary + " -version " + how + " without printing a version");
  }
  return version;
}

AgentVersion detect_agent_version(const AgentVersionSources& sources) {
  AgentVersion out;
  // Takes a source's answer, or records why it had none. Each source
  // function returns only strings that parse.
  auto take = [&out](const char* source, const std::string& path,
                     std::optional<std::string> version, const std::string& note) {
    if (!version) {
      if (!note.empty()) out.notes.push_back(std::string(source) + ": " + note);
      return false;
    }
    out.version = *version;
    out.components = parse_version(*version).value_or(std::vector<unsigned>{});
    out.source = source;
    out.path = path;
    return out.known();
  };
  try {
    std::string note;
    if (!sources.dpkg_status.empty() &&
        take("dpkg", sources.dpkg_status, agent_version_from_dpkg(sources.dpkg_status, &note),
             note))
      return out;
    // rpm (Amazon Linux, RHEL, SUSE) keeps its database in SQLite or
    // BerkeleyDB files, which we do not parse: there the log or the binary
    // answers.
    note.clear();
    if (!sources.snap_yaml.empty() &&
        take("snap", sources.snap_yaml, agent_version_from_snap(sources.snap_yaml, &note), note))
      return out;
    note.clear();
    if (!sources.agent_log.empty() &&
        take("log", sources.agent_log, agent_version_from_log(sources.agent_log, &note), note))
      return out;
    for (const auto& binary : sources.agent_binaries) {
      note.clear();
      if (take("exec", binary, agent_version_from_binary(binary, sources.exec_timeout_s, &note),
               note))
        return out;
    }
  } catch (const std::exception& e) {
    out = AgentVersion{};
    out.notes.push_back(std::string("error: ") + e.what());
  }
  return out;
}

}  // namespace ssmreach
