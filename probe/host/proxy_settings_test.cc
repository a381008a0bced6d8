#include "probe/host/proxy_settings.h"

#include <doctest/doctest.h>

#include "tests/unit/fake_env.h"

namespace ssmreach {
namespace {

using testing::fake_env;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const std::string kDropIn = "/etc/systemd/system/amazon-ssm-agent.service.d/proxy.conf";

AgentServiceEnvironment agent_with(std::map<std::string, std::string> vars,
                                   const std::string& source = kDropIn) {
  AgentServiceEnvironment agent;
  agent.unit = "amazon-ssm-agent.service";
  agent.unit_file = "/lib/systemd/system/amazon-ssm-agent.service";
  for (const auto& [k, v] : vars) agent.var_source[k] = source;
  agent.vars = std::move(vars);
  return agent;
}

AgentServiceEnvironment no_agent_proxy() { return agent_with({{"PATH", "/usr/bin"}}); }

std::string notes_text(const ProxySettings& s) {
  std::string text;
  for (const auto& n : s.evidence.notes) text += n + "\n";
  return text;
}

// Everything a report or an evidence file could show.
std::string shown_text(const ProxySettings& s) {
  const auto& ev = s.evidence;
  return ev.https_proxy + "|" + ev.http_proxy + "|" + ev.no_proxy + "|" + ev.source + "|" +
         notes_text(s);
}

TEST_CASE("proxy settings: nothing anywhere") {
  auto s = resolve_proxy_settings(ProxyFlags{}, fake_env({}), AgentServiceEnvironment{});
  CHECK_FALSE(s.https);
  CHECK_FALSE(s.http);
  CHECK(s.evidence.source.empty());
  CHECK(s.evidence.https_proxy.empty());
  CHECK(s.evidence.notes.empty());
  CHECK_FALSE(s.no_proxy.excludes("ssm.us-east-1.amazonaws.com", 443));
}

TEST_CASE("proxy settings: the agent's unit decides, with Go's variable order") {
  auto agent = agent_with({{"HTTPS_PROXY", "http://upper:3128"},
                           {"https_proxy", "http://lower:3128"},
                           {"http_proxy", "proxy.corp:8080"},
                           {"no_proxy", "169.254.169.254,.internal"}});
  auto s = resolve_proxy_settings(ProxyFlags{}, fake_env({}), agent);
  REQUIRE(s.https);
  CHECK(s.https->host == "upper");
  REQUIRE(s.http);
  CHECK(s.http->redacted() == "http://proxy.corp:8080");
  CHECK(s.evidence.https_proxy == "http://upper:3128");
  CHECK(s.evidence.http_proxy == "http://proxy.corp:8080");
  CHECK(s.evidence.no_proxy == "169.254.169.254,.internal");
  CHECK(s.evidence.source == kDropIn);
  CHECK(s.no_proxy.excludes("169.254.169.254", 80));
  CHECK(s.no_proxy.excludes("ssm.vpc.internal", 443));
  const auto notes = notes_text(s);
  CHECK(contains(notes, "HTTPS_PROXY and https_proxy differ"));
  CHECK(contains(notes, "the agent (Go) uses HTTPS_PROXY, while curl prefers https_proxy"));
  // The shell has none of it.
  CHECK(contains(notes,
                 "amazon-ssm-agent's environment sets HTTPS_PROXY, http_proxy and "
                 "no_proxy (from " +
                     kDropIn + ") but this shell does not"));
}

TEST_CASE("proxy settings: the agent's environment beats this shell's") {
  auto agent = agent_with({{"https_proxy", "http://agent-proxy:3128"}});
  auto env = fake_env({{"https_proxy", "http://shell-proxy:3128"}, {"NO_PROXY", "localhost"}});
  auto s = resolve_proxy_settings(ProxyFlags{}, env, agent);
  REQUIRE(s.https);
  CHECK(s.https->host == "agent-proxy");
  CHECK_FALSE(s.http);
  CHECK(s.evidence.no_proxy.empty());  // the shell's NO_PROXY is not the agent's
  const auto notes = notes_text(s);
  CHECK(contains(notes,
                 "this shell's https_proxy http://shell-proxy:3128 differs from "
                 "amazon-ssm-agent's https_proxy http://agent-proxy:3128"));
  CHECK(contains(notes, "this shell's NO_PROXY is not in amazon-ssm-agent's environment"));
}

TEST_CASE("proxy settings: an explicitly empty variable in the unit still makes it the source") {
  auto agent = agent_with({{"https_proxy", ""}});
  auto s =
      resolve_proxy_settings(ProxyFlags{}, fake_env({{"https_proxy", "http://shell:3128"}}), agent);
  CHECK_FALSE(s.https);
  CHECK(contains(notes_text(s),
                 "this shell's https_proxy is not in amazon-ssm-agent's "
                 "environment; the agent connects directly"));
}

TEST_CASE("proxy settings: the agent's unit sets no proxy: direct, whatever the shell has") {
  auto env = fake_env({{"HTTPS_PROXY", "http://shell:3128"}, {"no_proxy", "169.254.169.254"}});
  auto s = resolve_proxy_settings(ProxyFlags{}, env, no_agent_proxy());
  CHECK_FALSE(s.https);
  CHECK(s.evidence.https_proxy.empty());
  CHECK(s.evidence.source == no_agent_proxy().unit_file);
  CHECK(s.evidence.no_proxy.empty());
  const auto notes = notes_text(s);
  CHECK(contains(notes,
                 "this shell's HTTPS_PROXY is not in amazon-ssm-agent's environment; "
                 "the agent connects directly"));

  SUBCASE("no unit found at all: this shell's proxy") {
    auto without = resolve_proxy_settings(ProxyFlags{}, env, AgentServiceEnvironment{});
    REQUIRE(without.https);
    CHECK(without.evidence.source == "environment");
    CHECK(without.evidence.no_proxy == "169.254.169.254");
    CHECK(contains(notes_text(without), "systemd unit was not found"));
  }
}

TEST_CASE("proxy settings: http_proxy alone leaves HTTPS direct, as in Go") {
  auto s = resolve_proxy_settings(ProxyFlags{}, fake_env({}),
                                  agent_with({{"http_proxy", "http://proxy:3128"}}));
  CHECK_FALSE(s.https);
  REQUIRE(s.http);
  CHECK(contains(notes_text(s), "http_proxy is set but https_proxy is not"));
}

TEST_CASE("proxy settings: --no-proxy and --proxy come first") {
  auto agent = agent_with({{"HTTPS_PROXY", "http://agent:3128"}, {"NO_PROXY", "10.0.0.0/8"}});
  auto env = fake_env({{"https_proxy", "http://shell:3128"}});

  ProxyFlags no_proxy;
  no_proxy.no_proxy = true;
  auto direct = resolve_proxy_settings(no_proxy, env, agent);
  CHECK_FALSE(direct.https);
  CHECK_FALSE(direct.http);
  CHECK(direct.evidence.source == "--no-proxy");
  CHECK(direct.evidence.https_proxy.empty());
  CHECK(contains(notes_text(direct),
                 "--no-proxy: this run connects directly, while "
                 "amazon-ssm-agent uses the proxy http://agent:3128"));

  ProxyFlags forced;
  forced.proxy = "https://forced.corp:8443/";
  auto s = resolve_proxy_settings(forced, env, agent);
  REQUIRE(s.https);
  REQUIRE(s.http);
  CHECK(s.https->redacted() == "https://forced.corp:8443");
  CHECK(s.http->redacted() == "https://forced.corp:8443");
  CHECK(s.evidence.source == "--proxy");
  CHECK(s.evidence.no_proxy == "10.0.0.0/8");  // still the agent's
  CHECK(s.no_proxy.excludes("10.1.2.3", 443));
  const auto notes = notes_text(s);
  CHECK(contains(notes, "--proxy replaces amazon-ssm-agent's own proxy http://agent:3128"));
  CHECK(contains(notes, "NO_PROXY comes from " + kDropIn));

  auto plain = resolve_proxy_settings(forced, env, no_agent_proxy());
  CHECK(contains(notes_text(plain), "the agent itself connects directly, not through --proxy"));
}

TEST_CASE("proxy settings: an unusable value is a note and no proxy for that scheme") {
  auto agent = agent_with({{"HTTPS_PROXY", "http://user:s3cret@proxy:port"},
                           {"HTTP_PROXY", "socks5://user:s3cret@socks:1080"}});
  auto s = resolve_proxy_settings(ProxyFlags{}, fake_env({}), agent);
  CHECK_FALSE(s.https);
  CHECK_FALSE(s.http);
  const auto notes = notes_text(s);
  CHECK(contains(notes, "HTTPS_PROXY 'http://***@proxy:port' (from " + kDropIn +
                            ") cannot be used: the port is not a number; the agent cannot use "
                            "it either"));
  CHECK(contains(notes, "scheme 'socks5' is not supported"));
  CHECK(contains(notes, "the agent's Go HTTP client does use SOCKS5 proxies"));
  CHECK_FALSE(contains(notes, "s3cret"));

  ProxyFlags bad;
  bad.proxy = "http://user:s3cret@:3128";
  auto forced = resolve_proxy_settings(bad, fake_env({}), agent);
  CHECK_FALSE(forced.https);
  CHECK(contains(notes_text(forced), "--proxy 'http://***@:3128' cannot be used: no host name"));
}

TEST_CASE("proxy settings: credentials never reach the evidence or the notes") {
  const std::map<std::string, std::string> secret_vars = {
      {"HTTPS_PROXY", "http://admin:s3cret%21@proxy.corp:3128"},
      {"https_proxy", "http://other:s3cret2@proxy.corp:3128"},
      {"HTTP_PROXY", "http://admin:s3cret@proxy.corp:80"},
  };
  auto env = fake_env({{"https_proxy", "http://me:s3cret3@shell-proxy:3128"},
                       {"http_proxy", "http://me:s3cret3@shell-proxy:3128"}});
  ProxyFlags no_flags, forced, none;
  forced.proxy = "http://cli:s3cret4@cli-proxy:3128";
  none.no_proxy = true;
  for (const ProxyFlags* options : {&no_flags, &forced, &none}) {
    for (const auto& agent : {agent_with(secret_vars), no_agent_proxy()}) {
      auto s = resolve_proxy_settings(*options, env, agent);
      const auto text = shown_text(s);
      INFO(text);
      CHECK_FALSE(contains(text, "s3cret"));
      CHECK_FALSE(contains(text, "admin"));
      CHECK_FALSE(contains(text, "me:"));
      CHECK_FALSE(contains(text, "cli:"));
    }
  }
  auto s = resolve_proxy_settings(no_flags, env, agent_with(secret_vars));
  REQUIRE(s.https);
  CHECK(s.https->password == "s3cret!");  // kept for the connection itself
  CHECK(s.evidence.https_proxy == "http://proxy.corp:3128");
  CHECK(s.evidence.https_proxy_has_credentials);
  CHECK(s.evidence.http_proxy_has_credentials);
}

TEST_CASE("proxy settings: the agent's warnings about proxy variables become notes") {
  auto agent = no_agent_proxy();
  agent.warnings = {
      kDropIn +
          ":3: Environment= https_proxy has a '%' before a letter or digit that is no "
          "systemd specifier, so systemd ignores it",
      "/etc/x.conf: line 2: no '=' in the line; ignored",
      "/etc/proxy.env (EnvironmentFile= of amazon-ssm-agent.service): cannot read: Permission "
      "denied; its variables are unknown",
  };
  auto s = resolve_proxy_settings(ProxyFlags{}, fake_env({}), agent);
  REQUIRE(s.evidence.notes.size() == 2);
  CHECK(contains(s.evidence.notes[0], "https_proxy has a '%'"));
  CHECK(contains(s.evidence.notes[1], "its variables are unknown"));
}

}  // namespace
}  // namespace ssmreach
