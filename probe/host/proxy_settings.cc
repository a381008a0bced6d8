#include "probe/host/proxy_settings.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "probe/host/agent_config.h"
#include "probe/util/text_util.h"

namespace ssmreach {

namespace {

constexpr const char* kAgent = "amazon-ssm-agent";

// The three settings and the variable names Go's httpproxy.FromEnvironment
// reads for each, in its order.
enum class Kind { https, http, no_proxy };
struct KindNames {
  Kind kind;
  const char* upper;
  const char* lower;
};
constexpr KindNames kKinds[] = {
    {Kind::https, "HTTPS_PROXY", "https_proxy"},
    {Kind::http, "HTTP_PROXY", "http_proxy"},
    {Kind::no_proxy, "NO_PROXY", "no_proxy"},
};

// A variable as Go's getEnvAny picks it: the first of the two names with a
// non-empty value.
struct Picked {
  std::string name;  // "HTTPS_PROXY" or "https_proxy"
  std::string value;
  std::string source;  // the agent's file, or "environment"
  // The other name, when it is set too and to something else.
  std::string shadowed_name;
};

struct ProxyVariables {
  std::optional<Picked> https, http, no_proxy;
  std::optional<Picked>& operator[](Kind kind) {
    return kind == Kind::https ? https : kind == Kind::http ? http : no_proxy;
  }
  const std::optional<Picked>& operator[](Kind kind) const {
    return kind == Kind::https ? https : kind == Kind::http ? http : no_proxy;
  }
  bool any_proxy() const { return https || http; }
};

using Lookup = std::function<std::optional<std::string>(const char* name)>;

ProxyVariables pick_all(const Lookup& lookup,
                        const std::function<std::string(const char*)>& source) {
  ProxyVariables out;
  for (const auto& k : kKinds) {
    const auto upper = lookup(k.upper);
    const auto lower = lookup(k.lower);
    if (!upper && !lower) continue;
    Picked p;
    p.name = upper ? k.upper : k.lower;
    p.value = upper ? *upper : *lower;
    p.source = source(p.name.c_str());
    if (upper && lower && *upper != *lower) p.shadowed_name = k.lower;
    out[k.kind] = std::move(p);
  }
  return out;
}

// A proxy value for a note: the parsed URL without credentials, or the text
// with any user information hidden.
std::string shown(const Picked& p, Kind kind) {
  if (kind == Kind::no_proxy) return "'" + printable_excerpt(p.value, 120) + "'";
  if (auto url = netcheck::parse_proxy_url(p.value)) return url->redacted();
  return "'" + printable_excerpt(netcheck::redact_url_credentials(p.value), 120) + "'";
}

// Parses a picked proxy variable; an unusable one becomes a note.
std::optional<netcheck::ProxyUrl> use(const std::optional<Picked>& p, bool from_agent,
                                      std::vector<std::string>& notes) {
  if (!p) return std::nullopt;
  std::string error;
  auto url = netcheck::parse_proxy_url(p->value, &error);
  if (url) return url;
  std::string note = p->name + " " + shown(*p, Kind::https) +
                     (from_agent ? " (from " + p->source + ")" : " (this shell)") +
                     " cannot be used: " + error;
  const std::string value = netcheck::ascii_lower(p->value);
  if (value.starts_with("socks5://") || value.starts_with("socks5h://"))
    note +=
        "; the agent's Go HTTP client does use SOCKS5 proxies, but ssm-reach checks only "
        "http:// and https:// ones, so this run connects directly";
  else if (from_agent)
    note += "; the agent cannot use it either";
  else
    note += "; this run does not use it";
  notes.push_back(std::move(note));
  return std::nullopt;
}

// Go reads the upper-case name first; curl the lower-case one (and for
// http_proxy only that).
void note_shadowed(const ProxyVariables& vars, std::vector<std::string>& notes) {
  for (const auto& k : kKinds) {
    const auto& p = vars[k.kind];
    if (!p || p->shadowed_name.empty()) continue;
    notes.push_back(std::string(k.upper) + " and " + k.lower + " differ (" + p->source +
                    "); the agent (Go) uses " + k.upper + ", while curl " +
                    (k.kind == Kind::http ? "reads only " : "prefers ") + k.lower);
  }
}

std::string shell_only_consequence(Kind kind) {
  switch (kind) {
    case Kind::https:
      return "; the agent connects directly";
    case Kind::http:
      return "; the agent's http:// requests (IMDS) go direct";
    case Kind::no_proxy:
      break;
  }
  return "";
}

// The agent's warnings that bear on its proxy: a proxy variable systemd
// ignores, or a file whose variables could not be read.
void note_agent_warnings(const AgentServiceEnvironment& agent, std::vector<std::string>& notes) {
  for (const auto& warning : agent.warnings) {
    bool relevant = contains(warning, "its variables are unknown");
    for (const auto& k : kKinds)
      relevant = relevant || contains(warning, k.upper) || contains(warning, k.lower);
    if (relevant) notes.push_back(warning);
  }
}

bool agent_sets_any(const AgentServiceEnvironment& agent) {
  return std::any_of(std::begin(kKinds), std::end(kKinds), [&](const KindNames& k) {
    return agent.vars.count(k.upper) || agent.vars.count(k.lower);
  });
}

void fill_evidence(ProxySettings& settings) {
  auto& ev = settings.evidence;
  ev.https_proxy = settings.https ? settings.https->redacted() : "";
  ev.http_proxy = settings.http ? settings.http->redacted() : "";
  ev.https_proxy_has_credentials = settings.https && settings.https->has_credentials();
  ev.http_proxy_has_credentials = settings.http && settings.http->has_credentials();
}

// Notes when the agent's own environment decides: where this shell differs.
void note_shell_against_agent(const ProxyVariables& agent_vars, const ProxyVariables& shell_vars,
                              std::vector<std::string>& notes) {
  std::vector<std::string> agent_only;
  std::string agent_only_source;
  for (const auto& k : kKinds) {
    const auto& a = agent_vars[k.kind];
    const auto& s = shell_vars[k.kind];
    if (s && !a) {
      if (k.kind != Kind::no_proxy || agent_vars.any_proxy() || shell_vars.any_proxy())
        notes.push_back("this shell's " + s->name + " is not in " + kAgent + "'s environment" +
                        shell_only_consequence(k.kind));
    } else if (s && a && s->value != a->value) {
      notes.push_back("this shell's " + s->name + " " + shown(*s, k.kind) + " differs from " +
                      kAgent + "'s " + a->name + " " + shown(*a, k.kind) + " (from " + a->source +
                      "); the checks use the agent's");
    } else if (a && !s && (k.kind != Kind::no_proxy || agent_vars.any_proxy())) {
      agent_only.push_back(a->name);
      if (agent_only_source.empty()) agent_only_source = a->source;
    }
  }
  if (!agent_only.empty())
    notes.push_back(std::string(kAgent) + "'s environment sets " + list_and(agent_only) +
                    " (from " + agent_only_source +
                    ") but this shell does not: commands run here by hand (curl, aws) do not "
                    "use " +
                    (agent_only.size() == 1 ? "it" : "them"));
}

// --proxy URL: for https and http alike; notes where it differs from the
// agent's own proxy.
void use_flag_proxy(const std::string& flag, const ProxyVariables& agent_vars,
                    const AgentServiceEnvironment& agent, ProxySettings& settings) {
  auto& notes = settings.evidence.notes;
  settings.evidence.source = "--proxy";
  std::string error;
  if (auto url = netcheck::parse_proxy_url(flag, &error)) {
    settings.https = settings.http = url;
  } else {
    notes.push_back("--proxy '" + printable_excerpt(netcheck::redact_url_credentials(flag), 120) +
                    "' cannot be used: " + error + "; this run connects directly");
  }
  if (agent_vars.https && settings.https &&
      shown(*agent_vars.https, Kind::https) != settings.https->redacted())
    notes.push_back("--proxy replaces " + std::string(kAgent) + "'s own proxy " +
                    shown(*agent_vars.https, Kind::https) + " (from " + agent_vars.https->source +
                    ") for this run");
  else if (!agent_vars.https && !agent.unit.empty())
    notes.push_back(std::string(kAgent) +
                    "'s environment has no https_proxy: the agent itself connects directly, "
                    "not through --proxy");
}

// Shell proxy variables the agent's unit does not have: they change what
// commands typed here do, not what the agent does.
void note_shell_only(const ProxyVariables& shell_vars, const AgentServiceEnvironment& agent,
                     std::vector<std::string>& notes) {
  if (agent.unit.empty()) {
    notes.push_back(std::string(kAgent) +
                    "'s systemd unit was not found; using this shell's proxy settings, "
                    "which the agent may not share");
    return;
  }
  for (const auto& k : kKinds) {
    const auto& s = shell_vars[k.kind];
    if (!s || k.kind == Kind::no_proxy) continue;
    notes.push_back("this shell's " + s->name + " is not in " + kAgent + "'s environment" +
                    shell_only_consequence(k.kind) +
                    " (this run checks the agent's direct path; --proxy URL checks the "
                    "shell's proxy)");
  }
}

// No flag: the agent's service environment when it has a unit, else this
// shell's, read the way Go reads them.
void use_sources(const ProxyVariables& agent_vars, const ProxyVariables& shell_vars,
                 const AgentServiceEnvironment& agent, ProxySettings& settings) {
  auto& ev = settings.evidence;
  auto& notes = ev.notes;
  const bool from_agent = agent_sets_any(agent);
  const bool agent_governs = from_agent || !agent.unit.empty();
  const ProxyVariables& chosen = agent_governs ? agent_vars : shell_vars;
  settings.https = use(chosen.https, from_agent, notes);
  settings.http = use(chosen.http, from_agent, notes);
  for (const auto& k : kKinds) {
    if (chosen[k.kind]) {
      ev.source = chosen[k.kind]->source;
      break;
    }
  }
  if (agent_governs && !from_agent) ev.source = agent.unit_file;  // which sets no proxy
  note_shadowed(chosen, notes);
  if (chosen.http && !chosen.https)
    notes.push_back(chosen.http->name + " is set but https_proxy is not: Go uses " +
                    chosen.http->name +
                    " only for http:// URLs, so the agent's HTTPS requests to its endpoints "
                    "go direct");
  if (from_agent)
    note_shell_against_agent(agent_vars, shell_vars, notes);
  else if (shell_vars.any_proxy())
    note_shell_only(shell_vars, agent, notes);
}

}  // namespace

ProxySettings resolve_proxy_settings(const ProxyFlags& flags, const GetEnv& env,
                                     const AgentServiceEnvironment& agent) {
  ProxySettings settings;
  auto& ev = settings.evidence;
  auto& notes = ev.notes;

  const ProxyVariables agent_vars = pick_all(
      [&](const char* name) -> std::optional<std::string> {
        auto it = agent.vars.find(name);
        if (it == agent.vars.end() || it->second.empty()) return std::nullopt;
        return it->second;
      },
      [&](const char* name) {
        auto it = agent.var_source.find(name);
        return it != agent.var_source.end() ? it->second : agent.unit_file;
      });
  const ProxyVariables shell_vars = pick_all(
      [&](const char* name) -> std::optional<std::string> {
        if (!env) return std::nullopt;
        return env(name);
      },
      [](const char*) { return std::string("environment"); });
  const bool from_agent = agent_sets_any(agent);
  // A unit that sets no proxy is a fact too: the agent connects directly,
  // whatever this shell has. Only without any unit is the shell the guide.
  const bool agent_governs = from_agent || !agent.unit.empty();
  const ProxyVariables& chosen = agent_governs ? agent_vars : shell_vars;

  note_agent_warnings(agent, notes);

  if (flags.no_proxy) {
    ev.source = "--no-proxy";
    if (agent_vars.https)
      notes.push_back("--no-proxy: this run connects directly, while " + std::string(kAgent) +
                      " uses the proxy " + shown(*agent_vars.https, Kind::https) + " (from " +
                      agent_vars.https->source + ")");
    return settings;
  }

  if (flags.proxy)
    use_flag_proxy(*flags.proxy, agent_vars, agent, settings);
  else
    use_sources(agent_vars, shell_vars, agent, settings);

  if (chosen.no_proxy) {
    ev.no_proxy = chosen.no_proxy->value;
    settings.no_proxy = netcheck::NoProxy::parse(chosen.no_proxy->value);
    if (chosen.no_proxy->source != ev.source)
      notes.push_back(chosen.no_proxy->name + " comes from " +
                      (from_agent ? chosen.no_proxy->source : "this shell's environment"));
  }
  fill_evidence(settings);
  return settings;
}

}  // namespace ssmreach
