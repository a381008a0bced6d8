#include "probe/host/agent_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <string_view>

#include "netcheck/proxy_url.h"
#include "netcheck/unique_fd.h"
#include "probe/plan/region.h"
#include "probe/util/json_depth.h"
#include "probe/util/text_util.h"

namespace ssmreach {

namespace {

// Keeps the key order of the file: the agent's decoder lets a later key win.
using Json = nlohmann::ordered_json;

std::string size_text(std::size_t bytes) {
  if (bytes % (std::size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// The agent decodes its files with Go's encoding/json into structs
// (agent/jsonutil/jsonutil.go), which matches keys case-insensitively, lets a
// later matching key overwrite an earlier one, decodes every matching object
// into the same struct (so two "Agent" objects merge), and leaves a field
// unset for JSON null (golang/go issues 28190, 47984). These helpers find the
// value the agent ends up with.
std::vector<const Json*> members(const Json& object, std::string_view key) {
  std::vector<const Json*> found;
  if (!object.is_object()) return found;
  for (auto it = object.begin(); it != object.end(); ++it)
    if (iequals(it.key(), key) && !it.value().is_null()) found.push_back(&it.value());
  return found;
}

const Json* find_member(const Json& object, std::string_view key) {
  auto found = members(object, key);
  return found.empty() ? nullptr : found.back();
}

const Json* find_field(const Json& root, std::string_view section, std::string_view field) {
  const Json* found = nullptr;
  for (const Json* s : members(root, section))
    if (auto v = find_member(*s, field)) found = v;
  return found;
}

void add_once(std::vector<std::string>& list, std::string text) {
  if (std::find(list.begin(), list.end(), text) == list.end()) list.push_back(std::move(text));
}

// "parse error at line 3, column 5: syntax error ..." without the library's
// "[json.exception.parse_error.101] " prefix.
std::string parse_error_text(const Json::exception& e) {
  std::string_view what = e.what();
  auto bracket = what.find("] ");
  if (what.starts_with("[json.exception.") && bracket != std::string_view::npos)
    what.remove_prefix(bracket + 2);
  return printable_excerpt(what, 200);
}

// 'value' for a warning.
std::string in_quotes(std::string_view value) { return "'" + printable_excerpt(value) + "'"; }

bool has_utf8_bom(std::string_view text) { return text.starts_with("\xEF\xBB\xBF"); }

// The string fields ssm-reach takes from amazon-ssm-agent.json
// (agent/appconfig/contracts.go: AgentInfo, SsmCfg, MgsConfig, MdsCfg, S3Cfg,
// KmsConfig). Other fields are the agent's business and not checked.
struct ConfigField {
  const char* section;
  const char* field;
};
constexpr ConfigField kStringFields[] = {
    {"Agent", "Region"}, {"Agent", "ServiceDomain"}, {"Mgs", "Region"},  {"Ssm", "Endpoint"},
    {"Mgs", "Endpoint"}, {"Mds", "Endpoint"},        {"S3", "Endpoint"}, {"Kms", "Endpoint"},
};

// The boolean fields ssm-reach reads: Agent.UseDualStackEndpoint (agent
// 3.3.3270.0 and later) makes the agent build dual-stack endpoint names.
constexpr ConfigField kBoolFields[] = {
    {"Agent", "UseDualStackEndpoint"},
};

// Which ssm-reach service each section's Endpoint overrides: Mgs is the
// message gateway (ssmmessages), Mds the message delivery service (ec2messages).
struct EndpointSection {
  const char* section;
  const char* service;
};
constexpr EndpointSection kEndpointSections[] = {
    {"Ssm", "ssm"}, {"Mgs", "ssmmessages"}, {"Mds", "ec2messages"}, {"S3", "s3"}, {"Kms", "kms"},
};

// Go refuses a value of the wrong type for a struct field and the agent then
// fails to load the whole file (agent/appconfig/appconfig.go returns the
// error; agent/agent.go stops starting the worker on it).
std::vector<std::string> type_errors(const Json& root) {
  std::vector<std::string> errors;
  if (root.is_null()) return errors;
  if (!root.is_object()) {
    errors.push_back(std::string("the top level is ") + root.type_name() + ", not an object");
    return errors;
  }
  auto check = [&](const ConfigField& f, bool want_string) {
    for (const Json* section : members(root, f.section)) {
      if (!section->is_object()) {
        add_once(errors,
                 std::string(f.section) + " is " + section->type_name() + ", not an object");
        continue;
      }
      for (const Json* value : members(*section, f.field))
        if (want_string ? !value->is_string() : !value->is_boolean())
          add_once(errors, std::string(f.section) + "." + f.field + " is " + value->type_name() +
                               (want_string ? ", not a string" : ", not true or false"));
    }
  };
  for (const auto& f : kStringFields) check(f, true);
  for (const auto& f : kBoolFields) check(f, false);
  return errors;
}

// The trimmed string at section.field; nullopt when absent, null or blank
// (the agent treats "" as unset: agent/appconfig/appconfig_parser.go).
std::optional<AgentSetting> string_setting(const Json& root, const char* section, const char* field,
                                           const std::string& file) {
  const Json* v = find_field(root, section, field);
  if (!v || !v->is_string()) return std::nullopt;
  auto value = trim(v->get_ref<const std::string&>());
  if (value.empty()) return std::nullopt;
  return AgentSetting{std::string(value), std::string(section) + "." + field, file};
}

// A JSON boolean at section.field, as "true" or "false"; nullopt when
// absent or null (type_errors() has refused any other type).
std::optional<AgentSetting> bool_setting(const Json& root, const char* section, const char* field,
                                         const std::string& file) {
  const Json* v = find_field(root, section, field);
  if (!v || !v->is_boolean()) return std::nullopt;
  return AgentSetting{v->get<bool>() ? "true" : "false", std::string(section) + "." + field, file};
}

bool is_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.' ||
      host.front() == '-')
    return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

// Parses the file's text; returns false (with warnings) when the agent could
// not load it, in which case no setting from it counts.
bool fill_from_text(const std::string& text, AgentConfig& config) {
  const std::string& file = config.file;
  if (has_utf8_bom(text)) {
    config.warnings.push_back(file +
                              ": starts with a UTF-8 byte-order mark, which the agent's JSON "
                              "parser rejects; save the file without it");
    return false;
  }
  if (json_nested_too_deeply(text)) {
    // The agent's Go decoder would take it, but no setting of its lives
    // that deep: reading it here could only overflow the stack.
    config.warnings.push_back(file + ": " + json_too_deep_text() +
                              "; not read, so its settings are unknown");
    return false;
  }
  Json root;
  try {
    const std::string_view view = text;
    root = Json::parse(view.begin(), view.end());
  } catch (const Json::exception& e) {
    config.warnings.push_back(file + ": invalid JSON (" + parse_error_text(e) +
                              "); the agent cannot load this file either");
    return false;
  }
  auto errors = type_errors(root);
  if (!errors.empty()) {
    std::string joined;
    for (const auto& e : errors) joined += (joined.empty() ? "" : "; ") + e;
    config.warnings.push_back(file + ": " + joined + "; the agent cannot load this file");
    return false;
  }

  auto take_region = [&](const char* section, std::optional<AgentSetting>& slot) {
    auto s = string_setting(root, section, "Region", file);
    if (!s) return;
    if (is_valid_region_name(s->value))
      slot = std::move(s);
    else
      config.warnings.push_back(file + ": " + s->key + " " + in_quotes(s->value) +
                                " is not a region name; ignored");
  };
  take_region("Agent", config.region);
  take_region("Mgs", config.mgs_region);
  if (auto s = string_setting(root, "Agent", "ServiceDomain", file)) {
    if (is_host_name(s->value) && s->value.find('.') != std::string::npos) {
      config.service_domain = std::move(s);
    } else {
      config.warnings.push_back(file + ": Agent.ServiceDomain " + in_quotes(s->value) +
                                " is not a domain name; ignored");
    }
  }
  config.use_dualstack = bool_setting(root, "Agent", "UseDualStackEndpoint", file);
  for (const auto& e : kEndpointSections) {
    auto s = string_setting(root, e.section, "Endpoint", file);
    if (!s) continue;
    std::string error;
    auto hp = parse_agent_endpoint(s->value, &error);
    if (!hp) {
      // A password in the URL is not repeated.
      config.warnings.push_back(file + ": " + s->key + " " +
                                in_quotes(netcheck::redact_url_credentials(s->value)) +
                                " is not usable (" + error + "); ignored");
      continue;
    }
    config.endpoints[e.service] = AgentEndpoint{e.service, std::move(*s), std::move(*hp)};
  }
  return true;
}

}  // namespace

FileRead read_text_file(const std::string& path, std::size_t max_bytes, bool tail) {
  FileRead out;
  auto fail = [&out](std::string error) {
    out.status = FileRead::Status::failed;
    out.error = std::move(error);
    out.text.clear();
    return out;
  };
  // O_NONBLOCK: opening a FIFO planted at the path must not hang the probe.
  netcheck::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) return out;
    return fail(errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(errno_text(errno));
  if (S_ISDIR(st.st_mode)) return fail("is a directory");
  if (!S_ISREG(st.st_mode)) return fail("is not a regular file");
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_bytes) {
    if (!tail) return fail("is larger than " + size_text(max_bytes));
    if (::lseek(fd.get(), static_cast<off_t>(size - max_bytes), SEEK_SET) < 0)
      return fail(errno_text(errno));
  }
  // Read one byte past the limit to notice a file that grew meanwhile.
  char buffer[64 * 1024];
  while (out.text.size() <= max_bytes) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno_text(errno));
    if (n == 0) break;
    out.text.append(buffer, static_cast<std::size_t>(n));
  }
  if (out.text.size() > max_bytes) {
    if (!tail) return fail("is larger than " + size_text(max_bytes));
    out.text.erase(0, out.text.size() - max_bytes);
  }
  out.status = FileRead::Status::ok;
  return out;
}

std::string printable_excerpt(std::string_view text, std::size_t max) {
  std::string out;
  for (unsigned char c : text) {
    if (out.size() >= max) return out + "...";
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  }
  return out;
}

std::vector<std::string> default_agent_config_paths() {
  // The agent reads only AppConfigPath = /etc/amazon/ssm/amazon-ssm-agent.json
  // (agent/appconfig/constants_unix.go: the package variable is fixed before
  // init() moves DefaultProgramFolder for a snap install). AWS's snap install
  // guide says the same: config files shipped in /snap/amazon-ssm-agent/current/
  // take effect only once copied to /etc/amazon/ssm/. /snap is a read-only
  // image, so there is no second place an admin could have edited.
  return {"/etc/amazon/ssm/amazon-ssm-agent.json"};
}

AgentConfig read_agent_config(const std::vector<std::string>& paths) {
  AgentConfig config;
  for (const auto& path : paths) {
    try {
      auto read = read_text_file(path, kMaxAgentFileBytes);
      if (read.status == FileRead::Status::missing) continue;
      config.file = path;
      if (read.status == FileRead::Status::failed) {
        config.warnings.push_back(path + ": cannot read: " + read.error);
        return config;
      }
      if (!fill_from_text(read.text, config)) {
        config.region.reset();
        config.service_domain.reset();
        config.mgs_region.reset();
        config.use_dualstack.reset();
        config.endpoints.clear();
      }
    } catch (const std::exception& e) {  // allocation failure and the like
      config = AgentConfig{};
      config.file = path;
      config.warnings.push_back(path + ": cannot read: " + e.what());
    }
    return config;  // the agent reads one file only
  }
  return config;
}

std::optional<netcheck::HostPort> parse_agent_endpoint(std::string_view value, std::string* error) {
  auto fail = [error](std::string message) -> std::optional<netcheck::HostPort> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  value = trim(value);
  if (value.empty()) return fail("empty");
  std::string_view authority = value;
  if (auto sep = value.find("://"); sep != std::string_view::npos) {
    // The agent hands Ssm/Mds/S3/Kms endpoints to the AWS SDK, which adds
    // https:// to a bare host, and reduces Mgs.Endpoint to the URL's host
    // (agent/rip/riputil.go, GetMgsEndpoint). Both speak TLS only.
    const std::string scheme = netcheck::ascii_lower(value.substr(0, sep));
    if (scheme != "https" && scheme != "wss")
      return fail("scheme " + in_quotes(scheme) +
                  " is not supported; the agent's endpoints are HTTPS");
    authority = value.substr(sep + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos)
      return fail("user information in the URL is not supported");
  } else if (value.find_first_of("/?#") != std::string_view::npos) {
    return fail("neither a host name nor an https:// URL");
  }
  std::string parse_error;
  auto hp = netcheck::parse_host_port(authority, 443, &parse_error);
  if (!hp) return fail(printable_excerpt(parse_error, 200));
  if (!netcheck::parse_ip(hp->host) && !is_host_name(hp->host))
    return fail(in_quotes(hp->host) + " is not a host name");
  return hp;
}

std::string default_registration_path() {
  // core/agent.go: registrationFile = DefaultDataStorePath + "registration",
  // DefaultDataStorePath = /var/lib/amazon/ssm/ (agent/appconfig/constants_unix.go).
  // The registration's private key lives elsewhere (the agent's Vault) and is
  // never read here.
  return "/var/lib/amazon/ssm/registration";
}

AgentRegistration read_registration(const std::string& path) {
  AgentRegistration reg;
  reg.file = path;
  try {
    auto read = read_text_file(path, kMaxAgentFileBytes);
    if (read.status == FileRead::Status::missing) return reg;
    reg.present = true;
    if (read.status == FileRead::Status::failed) {
      reg.warnings.push_back(path + ": cannot read: " + read.error +
                             "; whether this is a hybrid (on-premises) registration is unknown");
      return reg;
    }
    if (json_nested_too_deeply(read.text)) {
      reg.warnings.push_back(path + ": " + json_too_deep_text() +
                             "; whether this is a hybrid (on-premises) registration is unknown");
      return reg;
    }
    Json root;
    try {
      const std::string_view view = read.text;
      root = Json::parse(view.begin(), view.end());
    } catch (const Json::exception& e) {
      reg.warnings.push_back(path + ": invalid JSON (" + parse_error_text(e) + ")");
      return reg;
    }
    if (!root.is_object()) {
      reg.warnings.push_back(path + ": the top level is " + std::string(root.type_name()) +
                             ", not an object");
      return reg;
    }
    // core/agent_parser.go writes exactly these two keys, as strings.
    auto string_member = [&](const char* key) -> std::optional<AgentSetting> {
      const Json* v = find_member(root, key);
      if (v && !v->is_string()) {
        reg.warnings.push_back(path + ": " + key + " is " + v->type_name() + ", not a string");
        return std::nullopt;
      }
      auto value = v ? trim(v->get_ref<const std::string&>()) : std::string_view();
      if (value.empty()) {
        if (std::string_view(key) == "ManagedInstanceID")
          reg.warnings.push_back(path + ": no ManagedInstanceID; not a usable registration");
        return std::nullopt;
      }
      return AgentSetting{std::string(value), key, path};
    };
    if (auto id = string_member("ManagedInstanceID")) {
      // Managed-instance IDs are "mi-" and 17 hex digits; accept any letters
      // and digits, but nothing that could garble the report.
      bool tidy = std::all_of(id->value.begin(), id->value.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
      });
      if (!tidy || !id->value.starts_with("mi-"))
        reg.warnings.push_back(path + ": ManagedInstanceID " + in_quotes(id->value) +
                               " is not a managed-instance ID (mi-...)");
      if (tidy) reg.managed_instance_id = std::move(id);
    }
    if (auto region = string_member("Region")) {
      if (is_valid_region_name(region->value))
        reg.region = std::move(region);
      else
        reg.warnings.push_back(path + ": Region " + in_quotes(region->value) +
                               " is not a region name; ignored");
    }
  } catch (const std::exception& e) {
    reg.warnings.push_back(path + ": cannot read: " + e.what());
  }
  return reg;
}

}  // namespace ssmreach
