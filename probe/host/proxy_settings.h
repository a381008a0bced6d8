// Which proxy the checks use, and why: --no-proxy, --proxy, the SSM agent's
// own service environment, or this shell's. The agent reads its proxy with
// Go's net/http (httpproxy.FromEnvironment), so that is how values are read.
#pragma once

#include <optional>

#include "netcheck/no_proxy.h"
#include "netcheck/proxy_url.h"
#include "probe/evidence/evidence.h"
#include "probe/host/agent_service_env.h"
#include "probe/util/environment.h"

namespace ssmreach {

// What the command line asks of the proxy.
struct ProxyFlags {
  bool no_proxy = false;             // --no-proxy
  std::optional<std::string> proxy;  // --proxy URL
};

struct ProxySettings {
  std::optional<netcheck::ProxyUrl> https;  // for https:// URLs: every endpoint
  std::optional<netcheck::ProxyUrl> http;   // for http:// URLs: IMDS
  netcheck::NoProxy no_proxy;
  // The same, for reports and evidence: URLs without credentials, where they
  // came from, and notes (a shell proxy the agent lacks, an unusable value).
  ProxyEvidence evidence;
};

// Precedence: --no-proxy (no proxy at all), then --proxy URL (for https and
// http; no_proxy still comes from the sources below), then the agent's
// service environment when it sets any of HTTPS_PROXY, https_proxy,
// HTTP_PROXY, http_proxy, NO_PROXY, no_proxy (even to ""), then this
// process's environment. Within a source, as in Go: HTTPS_PROXY before
// https_proxy, HTTP_PROXY before http_proxy, NO_PROXY before no_proxy, an
// empty value counting as unset. A value that does not parse is a note
// (without its credentials) and means no proxy for that scheme, as in Go.
// evidence.source is "" when no source sets anything.
ProxySettings resolve_proxy_settings(const ProxyFlags& flags, const GetEnv& env,
                                     const AgentServiceEnvironment& agent);

}  // namespace ssmreach
