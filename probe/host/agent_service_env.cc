#include "probe/host/agent_service_env.h"

#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <filesystem>
#include <map>
#include <optional>
#include <system_error>

#include "probe/host/agent_config.h"
#include "probe/host/systemd_syntax.h"
#include "probe/util/text_util.h"

namespace ssmreach {

namespace {

namespace fs = std::filesystem;

// The units the SSM agent runs as, preferred in this order: the deb/rpm
// package's, then the one snapd generates for the snap (Ubuntu).
constexpr const char* kAgentUnits[] = {
    "amazon-ssm-agent.service",
    "snap.amazon-ssm-agent.amazon-ssm-agent.service",
};

// systemd's system unit search path (systemd.unit(5)), highest priority
// first, without the runtime-only control, transient and generator folders.
// /lib/systemd/system is where packages put units on distributions that
// have not merged /usr (there it is the same folder as /usr/lib/...).
constexpr const char* kUnitDirs[] = {
    "/etc/systemd/system",     "/run/systemd/system", "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system", "/lib/systemd/system",
};

// Where system.conf and its system.conf.d/ drop-ins live
// (systemd-system.conf(5)), highest priority first.
constexpr const char* kManagerDirs[] = {
    "/etc/systemd", "/run/systemd", "/usr/local/lib/systemd", "/usr/lib/systemd", "/lib/systemd",
};

constexpr std::size_t kMaxFileBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxDropIns = 64;             // per drop-in list
constexpr std::size_t kMaxEnvironmentFiles = 32;    // EnvironmentFile= lines, and matches of each
constexpr std::size_t kMaxDirectoryEntries = 1024;  // looked at per folder
constexpr int kMaxSymlinks = 8;

// Where a path really leads, below the root: a symbolic link with an
// absolute target is followed inside `root` (a mounted volume's links point
// into that volume), and a link to /dev/null is systemd's mask.
struct Located {
  enum class State { missing, masked, file, failed };
  State state = State::missing;
  std::string path;
  std::string error;
  off_t size = 0;
};

bool is_dev_null(const struct stat& st) {
  struct stat null_st {};
  return S_ISCHR(st.st_mode) && ::stat("/dev/null", &null_st) == 0 && st.st_rdev == null_st.st_rdev;
}

Located locate(const std::string& root, std::string path) {
  Located out;
  for (int hop = 0; hop <= kMaxSymlinks; ++hop) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      const int err = errno;
      if (err == ENOENT || err == ENOTDIR) return out;
      out.state = Located::State::failed;
      out.error = errno_text(err);
      return out;
    }
    if (!S_ISLNK(st.st_mode)) {
      out.path = path;
      if (is_dev_null(st)) {
        out.state = Located::State::masked;
      } else {
        out.state = Located::State::file;
        out.size = st.st_size;
      }
      return out;
    }
    std::string target(static_cast<std::size_t>(PATH_MAX), '\0');
    const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    if (n < 0 || static_cast<std::size_t>(n) >= target.size()) {
      out.state = Located::State::failed;
      out.error = n < 0 ? errno_text(errno) : "link target too long";
      return out;
    }
    target.resize(static_cast<std::size_t>(n));
    if (target == "/dev/null") {
      out.state = Located::State::masked;
      out.path = path;
      return out;
    }
    if (target.starts_with('/'))
      path = root + target;
    else
      path = fs::path(path).parent_path().string() + "/" + target;
  }
  out.state = Located::State::failed;
  out.error = "too many levels of symbolic links";
  return out;
}

// The ".conf" files of `dirs` (below root): a file name found in an earlier
// folder hides the same name in later ones; the result is sorted by file
// name, which is the order systemd applies them in.
std::vector<std::string> conf_files(const std::string& root, const std::vector<std::string>& dirs,
                                    std::vector<std::string>& warnings) {
  std::map<std::string, std::string> by_name;
  for (const auto& dir : dirs) {
    const std::string rooted = root + dir;
    std::error_code ec;
    fs::directory_iterator it(rooted, ec);
    if (ec) {
      if (ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
        warnings.push_back(rooted + ": cannot list: " + ec.message());
      continue;
    }
    std::size_t seen = 0;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (++seen > kMaxDirectoryEntries) {
        warnings.push_back(rooted + ": more than " + std::to_string(kMaxDirectoryEntries) +
                           " entries; the rest are not read");
        break;
      }
      const std::string name = it->path().filename().string();
      if (name.starts_with('.') || !name.ends_with(".conf")) continue;  // hidden files too
      std::error_code type_ec;
      if (it->is_directory(type_ec)) continue;
      by_name.emplace(name, it->path().string());  // keeps the first (highest) folder's
    }
    if (ec) warnings.push_back(rooted + ": cannot list: " + ec.message());
  }
  std::vector<std::string> files;
  for (auto& [name, path] : by_name) {
    if (files.size() == kMaxDropIns) {
      warnings.push_back("more than " + std::to_string(kMaxDropIns) +
                         " drop-in files; the rest are not read");
      break;
    }
    files.push_back(std::move(path));
  }
  return files;
}

// "amazon-ssm-agent.service" -> "amazon-ssm-.service", "amazon-.service":
// systemd also reads drop-ins for each dash-truncated prefix of a name
// (src/shared/dropin.c, unit_file_find_dirs), most specific first.
std::vector<std::string> dash_prefix_names(const std::string& unit) {
  std::vector<std::string> names;
  const auto dot = unit.rfind('.');
  if (dot == std::string::npos) return names;
  const std::string suffix = unit.substr(dot);
  std::string stem = unit.substr(0, dot);
  for (;;) {
    bool chopped = false;
    for (;;) {
      const auto dash = stem.rfind('-');
      if (dash == std::string::npos || dash == 0) return names;
      if (dash + 1 != stem.size() || chopped) {
        stem.resize(dash + 1);
        break;
      }
      stem.resize(dash);  // a trailing dash: chop it and look again, once
      chopped = true;
    }
    names.push_back(stem + suffix);
  }
}

std::vector<std::string> unit_dropin_dirs(const std::string& unit) {
  std::vector<std::string> names = {unit};
  for (auto& prefix : dash_prefix_names(unit)) names.push_back(std::move(prefix));
  std::vector<std::string> dirs;
  for (const char* dir : kUnitDirs)
    for (const auto& name : names) dirs.push_back(std::string(dir) + "/" + name + ".d");
  // The type-wide "service.d/" comes last: the most generic.
  for (const char* dir : kUnitDirs) dirs.push_back(std::string(dir) + "/service.d");
  return dirs;
}

// One variable of an Environment=-style list and the file that set it.
struct Variable {
  std::string key;
  std::string value;
  std::string source;
};

void set_variable(std::vector<Variable>& list, Variable v) {
  for (auto& existing : list) {
    if (existing.key == v.key) {
      existing = std::move(v);
      return;
    }
  }
  list.push_back(std::move(v));
}

struct EnvironmentFileRef {
  std::string pattern;      // absolute path or glob, below the unit's root
  bool optional = false;    // '-' prefix: a missing or unloadable file is skipped
  std::string declared_in;  // "FILE:LINE"
  std::string declared_file;
};

// What the [Service] sections of a unit and its drop-ins say, in order.
struct ServiceSettings {
  std::vector<Variable> environment;
  std::vector<EnvironmentFileRef> environment_files;
  std::vector<std::string> unset;  // names, or NAME=VALUE
};

// The name of an assignment for a warning, when it has a valid one; the
// value is never repeated.
std::string assignment_label(const std::string& word) {
  const auto eq = word.find('=');
  std::string key = word.substr(0, eq);
  if (eq != std::string::npos && systemd::is_variable_name(key)) return key;
  return "an assignment";
}

std::string specifier_warning(const std::string& where, const std::string& what,
                              const systemd::Specifiers& resolved) {
  if (resolved.status == systemd::Specifiers::Status::unknown)
    return where + ": " + what +
           " has a '%' before a letter or digit that is no systemd specifier, so systemd "
           "ignores it; write '%%' for a literal '%' (percent-encoded passwords need %%40, "
           "not %40)";
  return where + ": " + what + " uses the systemd specifier %" + resolved.specifier +
         ", which ssm-reach does not expand";
}

// Environment= and DefaultEnvironment= (load-fragment.c, config_parse_environ).
void apply_environment(const std::string& value, const std::string& key, const std::string& where,
                       const std::string& source, std::vector<Variable>& list,
                       std::vector<std::string>& warnings) {
  if (value.empty()) {  // an empty assignment resets the list
    list.clear();
    return;
  }
  const auto words = systemd::split_words(value);
  for (const auto& word : words.words) {
    const auto resolved = systemd::resolve_specifiers(word);
    const std::string label = assignment_label(word);
    if (resolved.status == systemd::Specifiers::Status::unknown) {
      warnings.push_back(specifier_warning(where, key + "= " + label, resolved));
      continue;
    }
    std::string text = resolved.text;
    if (resolved.status == systemd::Specifiers::Status::unexpanded) {
      warnings.push_back(specifier_warning(where, key + "= " + label, resolved) +
                         " (kept as written)");
      text = word;
    }
    const auto eq = text.find('=');
    if (eq == std::string::npos || !systemd::is_variable_name(text.substr(0, eq)) ||
        !systemd::is_valid_utf8(text)) {
      warnings.push_back(where + ": " + key + "= " + label +
                         " is not a valid NAME=VALUE assignment; systemd ignores it");
      continue;
    }
    set_variable(list, Variable{text.substr(0, eq), text.substr(eq + 1), source});
  }
  if (words.syntax_error)
    warnings.push_back(where + ": " + key +
                       "= has an unbalanced quote or an unknown '\\' escape; systemd ignores "
                       "the rest of the line");
}

void apply_environment_file(const std::string& value, const std::string& where,
                            const std::string& file, ServiceSettings& s,
                            std::vector<std::string>& warnings) {
  if (value.empty()) {
    s.environment_files.clear();
    return;
  }
  const auto resolved = systemd::resolve_specifiers(value);
  if (resolved.status != systemd::Specifiers::Status::ok) {
    warnings.push_back(specifier_warning(where, "EnvironmentFile=", resolved) +
                       "; the file is not read");
    return;
  }
  EnvironmentFileRef ref;
  ref.pattern = resolved.text;
  ref.optional = ref.pattern.starts_with('-');
  if (ref.optional) ref.pattern.erase(0, 1);
  ref.declared_in = where;
  ref.declared_file = file;
  if (!ref.pattern.starts_with('/')) {
    warnings.push_back(where + ": EnvironmentFile= is not an absolute path; systemd ignores it");
    return;
  }
  if (s.environment_files.size() == kMaxEnvironmentFiles) {
    warnings.push_back(where + ": more than " + std::to_string(kMaxEnvironmentFiles) +
                       " EnvironmentFile= settings; the rest are not read");
    return;
  }
  s.environment_files.push_back(std::move(ref));
}

void apply_unset_environment(const std::string& value, const std::string& where, ServiceSettings& s,
                             std::vector<std::string>& warnings) {
  if (value.empty()) {
    s.unset.clear();
    return;
  }
  const auto words = systemd::split_words(value);
  for (const auto& word : words.words) {
    const auto resolved = systemd::resolve_specifiers(word);
    if (resolved.status != systemd::Specifiers::Status::ok) {
      warnings.push_back(specifier_warning(where, "UnsetEnvironment= entry", resolved));
      continue;
    }
    const auto eq = resolved.text.find('=');
    if (!systemd::is_variable_name(resolved.text.substr(0, eq))) {
      warnings.push_back(where +
                         ": UnsetEnvironment= has an entry that is no variable name; "
                         "systemd ignores it");
      continue;
    }
    s.unset.push_back(resolved.text);
  }
  if (words.syntax_error)
    warnings.push_back(where +
                       ": UnsetEnvironment= has an unbalanced quote or an unknown '\\' escape; "
                       "systemd ignores the rest of the line");
}

// Reads and parses one unit-syntax file (below the root); nullopt, with a
// warning when it exists, when it cannot be read. A file linked to
// /dev/null reads as empty.
std::optional<systemd::UnitText> read_unit_syntax(const std::string& root, const std::string& path,
                                                  AgentServiceEnvironment& out) {
  const auto located = locate(root, path);
  FileRead read;
  switch (located.state) {
    case Located::State::missing:
      return std::nullopt;
    case Located::State::failed:
      read = FileRead{FileRead::Status::failed, "", located.error};
      break;
    case Located::State::masked:
      read.status = FileRead::Status::ok;
      break;
    case Located::State::file:
      read = read_text_file(located.path, kMaxFileBytes);
      break;
  }
  if (read.status == FileRead::Status::missing) return std::nullopt;
  if (read.status == FileRead::Status::failed) {
    out.warnings.push_back(path + ": cannot read: " + read.error);
    return std::nullopt;
  }
  out.files_read.push_back(path);
  auto parsed = systemd::parse_unit_text(read.text);
  for (const auto& problem : parsed.problems) out.warnings.push_back(path + ": " + problem);
  return parsed;
}

void apply_service_file(const std::string& root, const std::string& path,
                        AgentServiceEnvironment& out, ServiceSettings& s) {
  auto parsed = read_unit_syntax(root, path, out);
  if (!parsed) return;
  if (parsed->refused)
    out.warnings.push_back(path + ": systemd cannot load " + out.unit +
                           " with this file, so it does not start");
  for (const auto& a : parsed->assignments) {
    if (a.section != "Service") continue;
    const std::string where = path + ":" + std::to_string(a.line);
    if (a.key == "Environment")
      apply_environment(a.value, a.key, where, path, s.environment, out.warnings);
    else if (a.key == "EnvironmentFile")
      apply_environment_file(a.value, where, path, s, out.warnings);
    else if (a.key == "UnsetEnvironment")
      apply_unset_environment(a.value, where, s, out.warnings);
  }
}

// systemd's own DefaultEnvironment= (system.conf and system.conf.d/), which
// every service starts from.
std::vector<Variable> manager_environment(const std::string& root, AgentServiceEnvironment& out) {
  std::vector<std::string> files;
  for (const char* dir : kManagerDirs) {
    auto located = locate(root, root + dir + "/system.conf");
    if (located.state == Located::State::missing) continue;
    files.push_back(root + dir + "/system.conf");
    break;
  }
  std::vector<std::string> dropin_dirs;
  for (const char* dir : kManagerDirs) dropin_dirs.push_back(std::string(dir) + "/system.conf.d");
  for (auto& f : conf_files(root, dropin_dirs, out.warnings)) files.push_back(std::move(f));

  std::vector<Variable> env;
  for (const auto& file : files) {
    auto parsed = read_unit_syntax(root, file, out);
    if (!parsed) continue;
    for (const auto& a : parsed->assignments) {
      if (a.section != "Manager" || a.key != "DefaultEnvironment") continue;
      apply_environment(a.value, a.key, file + ":" + std::to_string(a.line),
                        file + " (DefaultEnvironment=)", env, out.warnings);
    }
  }
  return env;
}

// Escapes glob characters of the root so only the pattern's own expand.
std::string glob_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// The files an EnvironmentFile= names: itself, or its glob's matches in
// order (systemd accepts wildcards there).
std::vector<std::string> environment_file_paths(const std::string& root,
                                                const EnvironmentFileRef& ref) {
  if (ref.pattern.find_first_of("*?[") == std::string::npos) return {root + ref.pattern};
  struct GlobResult {
    glob_t g{};
    ~GlobResult() { ::globfree(&g); }
  } result;
  std::vector<std::string> paths;
  if (::glob((glob_escape(root) + ref.pattern).c_str(), 0, nullptr, &result.g) != 0) return paths;
  for (std::size_t i = 0; i < result.g.gl_pathc && paths.size() < kMaxEnvironmentFiles; ++i)
    paths.emplace_back(result.g.gl_pathv[i]);
  return paths;
}

void read_environment_files(const std::string& root, const ServiceSettings& s,
                            AgentServiceEnvironment& out, std::vector<Variable>& env) {
  const std::string wont_start =
      "; without a '-' before the path systemd does not start " + out.unit;
  for (const auto& ref : s.environment_files) {
    const auto paths = environment_file_paths(root, ref);
    if (paths.empty() && !ref.optional)
      out.warnings.push_back(ref.declared_in + ": EnvironmentFile= matches no file" + wont_start);
    for (const auto& path : paths) {
      auto located = locate(root, path);
      if (located.state == Located::State::missing) {
        if (!ref.optional)
          out.warnings.push_back(ref.declared_in + ": EnvironmentFile= " + path +
                                 " does not exist" + wont_start);
        continue;
      }
      if (located.state == Located::State::masked) continue;  // /dev/null: nothing in it
      FileRead read;
      if (located.state == Located::State::failed)
        read = FileRead{FileRead::Status::failed, "", located.error};
      else
        read = read_text_file(located.path, kMaxFileBytes);
      if (read.status != FileRead::Status::ok) {
        out.warnings.push_back(path + " (EnvironmentFile= of " + out.unit +
                               "): cannot read: " + read.error + "; its variables are unknown");
        continue;
      }
      out.files_read.push_back(path);
      auto parsed = systemd::parse_environment_file(read.text);
      for (const auto& problem : parsed.problems) out.warnings.push_back(path + ": " + problem);
      if (parsed.refused) {
        if (!ref.optional)
          out.warnings.push_back(ref.declared_in +
                                 ": systemd cannot load EnvironmentFile= " + path + wont_start);
        continue;
      }
      const std::string source = path + " (EnvironmentFile= of " + out.unit + ")";
      for (auto& v : parsed.variables) set_variable(env, Variable{v.key, v.value, source});
    }
  }
}

// The unit file systemd would load for `unit`: the first one found in the
// search path; a masked one (in a higher folder) stops the search.
Located find_unit_file(const std::string& root, const std::string& unit,
                       AgentServiceEnvironment& out) {
  for (const char* dir : kUnitDirs) {
    const std::string path = root + dir + "/" + unit;
    auto located = locate(root, path);
    if (located.state == Located::State::missing) continue;
    if (located.state == Located::State::failed) {
      out.warnings.push_back(path + ": cannot read: " + located.error);
    } else if (located.state == Located::State::masked || located.size == 0) {
      out.warnings.push_back(path + ": " + unit + " is masked" +
                             (located.state == Located::State::masked ? " (linked to /dev/null)"
                                                                      : " (an empty file)") +
                             "; systemd does not start it");
      located.state = Located::State::masked;
    }
    located.path = path;
    return located;
  }
  return {};
}

}  // namespace

AgentServiceEnvironment read_agent_service_environment(const std::string& root) {
  AgentServiceEnvironment out;
  try {
    for (const char* unit : kAgentUnits) {
      auto located = find_unit_file(root, unit, out);
      if (located.state != Located::State::file) continue;
      out.unit = unit;
      out.unit_file = located.path;
      break;
    }
    if (out.unit.empty()) return out;

    ServiceSettings service;
    apply_service_file(root, out.unit_file, out, service);
    for (const auto& dropin : conf_files(root, unit_dropin_dirs(out.unit), out.warnings))
      apply_service_file(root, dropin, out, service);

    // systemd's order (src/core/execute.c, build_environment and
    // exec_context_load_environment): the manager's defaults, then
    // Environment=, then the files, then UnsetEnvironment= removes.
    std::vector<Variable> env = manager_environment(root, out);
    for (auto& v : service.environment) set_variable(env, std::move(v));
    read_environment_files(root, service, out, env);
    for (auto& v : env) {
      out.var_source[v.key] = std::move(v.source);
      out.vars[v.key] = std::move(v.value);
    }
    for (const auto& entry : service.unset) {
      const auto eq = entry.find('=');
      const std::string key = entry.substr(0, eq);
      auto it = out.vars.find(key);
      if (it == out.vars.end()) continue;
      if (eq != std::string::npos && it->second != entry.substr(eq + 1)) continue;
      out.vars.erase(it);
      out.var_source.erase(key);
    }
  } catch (const std::exception& e) {  // allocation failure and the like
    out.warnings.push_back(std::string("reading the agent's service environment: ") + e.what());
  }
  return out;
}

}  // namespace ssmreach
