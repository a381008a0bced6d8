// The JSON report: the contract's schema "ssm-reach/v1", evidence and verdict
// side by side so that a script sees both the conclusion and what it rests on.
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "probe/evidence/address_class.h"
#include "probe/evidence/http_evidence.h"
#include "probe/evidence/secret_fact.h"
#include "probe/plan/endpoint_names.h"
#include "probe/report/report.h"
#include "probe/util/text_util.h"

namespace ssmreach {
namespace {

// ordered_json keeps the fields in schema order, which people reading the
// output appreciate; consumers do not depend on it.
using Json = nlohmann::ordered_json;

// "10.0.0.2:53", "[fd00::2]:53": always with the port, unlike the text report.
std::string server_text(const netcheck::DnsServer& server) {
  return ip_port(server.address, server.port);
}

// Milliseconds to 0.1 ms: finer digits are noise, not measurement.
double tenth(double ms) { return std::round(ms * 10.0) / 10.0; }

Json text_or_null(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

template <typename T>
Json optional_or_null(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

// The cause's id ("tcp.timeout"), or null.
Json cause_or_null(const std::optional<Cause>& cause) {
  return cause ? Json(to_string(*cause)) : Json(nullptr);
}

// The failed layer ("tcp"), or null: the layer of the cause.
Json layer_or_null(const std::optional<Cause>& cause) {
  return cause ? Json(to_string(layer_of(*cause))) : Json(nullptr);
}

Json ip_list(const std::vector<netcheck::IpAddress>& ips) {
  Json out = Json::array();
  for (const auto& ip : ips) out.push_back(ip.text);
  return out;
}

// IMDS facts carry only public metadata; credentials would never be read
// into them, but a report must not leak them even if a later change did.

Json setting_json(const std::optional<AgentSetting>& setting) {
  if (!setting) return nullptr;
  return Json{{"value", setting->value}, {"source", setting->source()}};
}

// What the SSM agent on this host uses, each value with the file it came from.
Json agent_json(const AgentEvidence& agent) {
  Json endpoints = Json::object();
  for (const auto& [service, endpoint] : agent.config.endpoints)
    endpoints[service] = Json{{"value", endpoint.setting.value},
                              {"source", endpoint.setting.source()},
                              {"host", endpoint.host_port.host},
                              {"port", endpoint.host_port.port}};
  const auto& r = agent.registration;
  const auto& v = agent.version;
  return Json{{"config", Json{{"file", text_or_null(agent.config.file)},
                              {"region", setting_json(agent.config.region)},
                              {"service_domain", setting_json(agent.config.service_domain)},
                              {"use_dualstack_endpoint", setting_json(agent.config.use_dualstack)},
                              {"endpoints", endpoints},
                              {"warnings", agent.config.warnings}}},
              {"registration", Json{{"file", text_or_null(r.file)},
                                    {"present", r.present},
                                    {"hybrid", r.hybrid()},
                                    {"managed_instance_id", setting_json(r.managed_instance_id)},
                                    {"region", setting_json(r.region)},
                                    {"warnings", r.warnings}}},
              {"version", Json{{"value", text_or_null(v.version)},
                               {"source", text_or_null(v.source)},
                               {"path", text_or_null(v.path)},
                               {"notes", v.notes}}}};
}

// How the default endpoint names were built, and why: {"dualstack": {"on":
// true, "source": "..."}, "fips": {...}, "pattern": "SVC.eu-west-1.api.aws",
// "notes": [...]}. A source of null: nothing set it (the agent's default).
Json naming_json(const RunContext& context) {
  auto choice = [](const NamingChoice& c) {
    return Json{{"on", c.on}, {"source", text_or_null(c.source)}};
  };
  const auto& naming = context.naming;
  return Json{
      {"dualstack", choice(naming.dualstack)},
      {"fips", choice(naming.fips)},
      {"pattern", context.region.empty() ? Json(nullptr)
                                         : Json(endpoint_name_pattern(context.region.value, naming,
                                                                      context.agent.config))},
      {"notes", naming.notes}};
}

Json context_json(const RunContext& context, const std::vector<std::string>& vpc_cidrs) {
  Json resolvers = Json::array();
  for (const auto& server : context.resolvers) resolvers.push_back(server_text(server));

  Json calls = Json::array();
  for (const auto& call : context.imds.calls) {
    calls.push_back(Json{{"method", call.method},
                         {"path", call.path},
                         {"with_token", call.with_token},
                         {"outcome", netcheck::to_string(call.outcome)},
                         {"status", call.status},
                         {"error", text_or_null(call.error)},
                         {"ms", tenth(call.ms)}});
  }
  Json facts = Json::object();
  for (const auto& [key, value] : context.imds.facts) {
    if (!is_secret_fact(key, value)) facts[key] = value;
  }

  Json out;
  out["version"] = context.tool_version;
  out["started_at"] = context.started_at;
  out["region"] = Json{{"value", text_or_null(context.region.value)},
                       {"source", text_or_null(context.region.source)}};
  out["timeout_s"] = context.timeout_s;
  out["deadline_s"] = context.deadline_s;
  out["partition_suffix"] = text_or_null(context.partition_suffix);
  out["endpoint_names"] = naming_json(context);
  out["resolvers"] = resolvers;
  out["resolvers_source"] = text_or_null(context.resolvers_source);
  out["resolvers_error"] = text_or_null(context.resolvers_error);
  Json vpc_resolvers = Json::array();
  for (const auto& server : context.vpc_resolvers) vpc_resolvers.push_back(server_text(server));
  out["vpc_resolvers"] = vpc_resolvers;
  out["trust_store"] = Json{{"path", text_or_null(context.trust_store.path)},
                            {"source", text_or_null(context.trust_store.source)},
                            {"error", text_or_null(context.trust_store.error)}};
  out["vpc_cidrs"] = vpc_cidrs;
  out["imds"] = Json{{"attempted", context.imds.attempted},
                     {"endpoint", text_or_null(context.imds.endpoint)},
                     {"endpoint_source", text_or_null(context.imds.endpoint_source)},
                     {"skipped_by", text_or_null(context.imds.skipped_by)},
                     {"token_ok", context.imds.token_ok},
                     {"v1_used", context.imds.v1_used},
                     {"calls", calls},
                     {"facts", facts}};
  out["agent"] = agent_json(context.agent);
  const auto& proxy = context.proxy;
  out["proxy"] = Json{{"https_proxy", text_or_null(proxy.https_proxy)},
                      {"http_proxy", text_or_null(proxy.http_proxy)},
                      {"no_proxy", text_or_null(proxy.no_proxy)},
                      {"source", text_or_null(proxy.source)},
                      {"notes", proxy.notes}};
  if (const auto& c = context.imds.credentials) {
    out["credentials"] = Json{{"source", text_or_null(c->source)},
                              {"role", text_or_null(c->role)},
                              {"instance_profile_arn", text_or_null(c->instance_profile_arn)},
                              {"code", text_or_null(c->code)},
                              {"last_updated", text_or_null(c->last_updated)},
                              {"expiration", text_or_null(c->expiration)},
                              {"error", text_or_null(c->error)}};
  } else {
    out["credentials"] = nullptr;
  }
  return out;
}

Json http_json(const HttpEvidence& http) {
  return Json{{"status", netcheck::to_string(http.outcome)},
              {"code", http.status},
              {"request_id", text_or_null(http.request_id)},
              {"date", text_or_null(http.date)},
              {"clock_offset_s", optional_or_null(http.clock_offset_s)},
              {"error", text_or_null(http.error)},
              {"ms", tenth(http.ms)}};
}

Json proxy_path_json(const std::optional<ProxyPathEvidence>& path) {
  if (!path) return nullptr;
  return Json{{"proxy", path->proxy},
              {"failed_stage", text_or_null(path->failed_stage)},
              {"connect_status", path->connect_status},
              {"tls_verify_result", path->tls_verify_result},
              {"http", http_json(path->http)}};
}

Json signed_call_json(const std::optional<SignedCallEvidence>& call) {
  if (!call) return nullptr;
  return Json{{"action", "ssm:ListInstanceAssociations"},
              {"skipped", text_or_null(call->skipped)},
              {"via", text_or_null(call->via)},
              {"credentials_source", text_or_null(call->credentials_source)},
              {"http", call->skipped.empty() ? http_json(call->http) : Json(nullptr)},
              {"error_type", text_or_null(call->error_type)},
              {"error_message", text_or_null(call->error_message)}};
}

Json dns_json(const TargetEvidence& te) {
  Json out;
  Json servers = Json::array();
  if (te.dns) {
    for (const auto& answer : te.dns->servers) {
      servers.push_back(Json{{"server", server_text(answer.server)},
                             {"outcome", netcheck::to_string(answer.outcome)},
                             {"outcome_a", netcheck::to_string(answer.outcome_a)},
                             {"outcome_aaaa", netcheck::to_string(answer.outcome_aaaa)},
                             {"addresses", ip_list(answer.addresses)},
                             {"ms", tenth(answer.ms)},
                             {"error", text_or_null(answer.error)}});
    }
  }
  if (te.host_is_literal) {
    out["outcome"] = "skipped";
    out["answered_by"] = nullptr;
    out["ms"] = 0.0;
    out["source"] = "literal";
    Json addresses = Json::array();
    for (const auto& a : te.addresses) addresses.push_back(a.ip.text);
    out["addresses"] = addresses;
  } else if (!te.hosts.empty()) {
    // /etc/hosts answered; `servers` still shows what DNS would have said.
    out["outcome"] = "ok";
    out["answered_by"] = "/etc/hosts";
    out["ms"] = 0.0;
    out["source"] = "hosts";
    out["addresses"] = ip_list(te.hosts);
  } else if (te.dns) {
    out["outcome"] = netcheck::to_string(te.dns->outcome);
    out["answered_by"] =
        te.dns->answered_by ? Json(server_text(*te.dns->answered_by)) : Json(nullptr);
    out["ms"] = tenth(te.dns->ms);
    out["source"] = "dns";
    out["addresses"] = ip_list(te.dns->addresses);
  } else {
    out["outcome"] = "error";
    out["answered_by"] = nullptr;
    out["ms"] = 0.0;
    out["source"] = "dns";
    out["addresses"] = Json::array();
  }
  out["servers"] = servers;
  // What the VPC's own resolver answers, when it was asked as a comparison.
  if (te.vpc_dns) {
    out["vpc_resolver"] =
        Json{{"outcome", netcheck::to_string(te.vpc_dns->outcome)},
             {"answered_by", te.vpc_dns->answered_by ? Json(server_text(*te.vpc_dns->answered_by))
                                                     : Json(nullptr)},
             {"addresses", ip_list(te.vpc_dns->addresses)},
             {"ms", tenth(te.vpc_dns->ms)}};
  } else {
    out["vpc_resolver"] = nullptr;
  }
  return out;
}

Json tcp_json(const std::optional<netcheck::TcpResult>& tcp) {
  if (!tcp) return nullptr;
  return Json{{"status", netcheck::to_string(tcp->outcome)},
              {"ms", tenth(tcp->ms)},
              {"errno", text_or_null(tcp->errno_name)}};
}

Json tls_json(const std::optional<netcheck::TlsResult>& tls) {
  if (!tls) return nullptr;
  Json verify_errors = Json::array();
  for (const auto& e : tls->verify_errors) {
    verify_errors.push_back(Json{{"code", e.code}, {"depth", e.depth}, {"text", e.text}});
  }
  return Json{{"status", netcheck::to_string(tls->outcome)},
              {"version", text_or_null(tls->version)},
              {"cipher", text_or_null(tls->cipher)},
              {"server_name", text_or_null(tls->server_name)},
              {"issuer", text_or_null(tls->issuer)},
              {"issuer_cn", text_or_null(tls->issuer_cn)},
              {"subject", text_or_null(tls->subject)},
              {"sans", tls->sans},
              {"not_before", text_or_null(tls->not_before)},
              {"not_after", text_or_null(tls->not_after)},
              {"verify_errors", verify_errors},
              {"error", text_or_null(tls->error)},
              {"ms", tenth(tls->ms)}};
}

const AddressVerdict* find_address(const TargetVerdict* tv, const std::string& ip) {
  if (!tv) return nullptr;
  for (const auto& a : tv->addresses) {
    if (a.ip == ip) return &a;
  }
  return nullptr;
}

Json target_json(const TargetEvidence& te, const TargetVerdict* tv,
                 const std::vector<std::string>& vpc_cidrs) {
  Json out;
  out["service"] = te.target.service;
  out["host"] = te.target.host;
  out["host_source"] = te.target.host_source;
  out["port"] = te.target.port;
  // The verdict may relax a requirement (ec2messages for a recent agent).
  out["required"] = tv ? tv->required : te.target.required;
  out["status"] = tv ? to_string(tv->status) : to_string(Status::unknown);
  out["failed_layer"] = tv ? layer_or_null(tv->cause) : Json(nullptr);
  out["cause"] = tv ? cause_or_null(tv->cause) : Json(nullptr);
  out["headline"] = tv ? tv->headline : "";
  out["explanation"] = tv ? tv->explanation : "";
  out["impact"] = tv ? tv->impact : "";
  out["remedy"] = tv ? tv->remedy : "";
  out["dns"] = dns_json(te);

  Json addresses = Json::array();
  for (const auto& address : te.addresses) {
    const AddressVerdict* av = find_address(tv, address.ip.text);
    Json a;
    a["ip"] = address.ip.text;
    a["family"] = address.ip.family == netcheck::Family::v6 ? "ipv6" : "ipv4";
    a["class"] = av ? av->address_class : classify_address(address.ip, vpc_cidrs);
    a["source"] = address.source;
    a["usable"] = av && av->usable;
    a["ignored"] = av && av->ignored;
    a["failed_layer"] = av ? layer_or_null(av->cause) : Json(nullptr);
    a["cause"] = av ? cause_or_null(av->cause) : Json(nullptr);
    a["detail"] = av ? av->detail : "";
    a["tcp"] = tcp_json(address.tcp);
    a["tls"] = tls_json(address.tls);
    // A completed handshake with a certificate that fails verification is
    // not "ok" at the TLS layer: the status says what failed ("untrusted",
    // "expired", ...), "handshake" keeps what OpenSSL did.
    if (address.tls) {
      a["tls"]["handshake"] = a["tls"]["status"];
      if (av && av->failed_layer() == Layer::tls)
        a["tls"]["status"] = std::string(code_of(*av->cause));
    }
    a["http"] = address.http ? http_json(*address.http) : Json(nullptr);
    addresses.push_back(std::move(a));
  }
  out["addresses"] = addresses;
  out["proxy_path"] = proxy_path_json(te.proxy_path);
  out["no_proxy_match"] = text_or_null(te.no_proxy_match);
  return out;
}

// IMDS as a target: the same fields as the others; its one address's "tcp"
// is what its HTTP calls show (libcurl made the connections).
Json imds_target_json(const ImdsSummary& imds, const TargetVerdict& tv) {
  Json out;
  out["service"] = tv.service;
  out["host"] = tv.host;
  out["host_source"] = "imds";
  out["port"] = tv.port;
  out["required"] = tv.required;
  out["status"] = to_string(tv.status);
  out["failed_layer"] = layer_or_null(tv.cause);
  out["cause"] = cause_or_null(tv.cause);
  out["headline"] = tv.headline;
  out["explanation"] = tv.explanation;
  out["impact"] = tv.impact;
  out["remedy"] = tv.remedy;
  out["dns"] = nullptr;
  Json address;
  address["ip"] = tv.host;
  // A host name, not an address: the schema has no class for it.
  address["class"] = imds.address_class == "unknown" ? "link-local" : imds.address_class;
  address["source"] = "literal";
  address["usable"] = tv.status == Status::ok;
  address["tcp"] =
      imds.first_outcome
          ? Json{{"status", imds.answered ? "ok" : netcheck::to_string(*imds.first_outcome)},
                 {"ms", tenth(imds.first_ms)}}
          : Json(nullptr);
  address["tls"] = nullptr;
  out["addresses"] = Json::array({address});
  out["token_ok"] = imds.token_ok;
  return out;
}

}  // namespace

std::string render_json(const Evidence& evidence, const Verdict& verdict) {
  const auto vpc_cidrs = vpc_cidrs_from_facts(evidence.context.imds.facts);
  Json out;
  out["schema"] = "ssm-reach/v1";
  out["status"] = to_string(verdict.status);
  out["exit_code"] = exit_code(verdict.status);
  out["region"] = text_or_null(evidence.context.region.value);
  out["elapsed_ms"] = static_cast<long long>(std::llround(evidence.elapsed_ms));
  out["context"] = context_json(evidence.context, vpc_cidrs);
  const auto& offset = verdict.clock_offset_s;
  out["context"]["clock"] = Json{{"offset_s", optional_or_null(offset)},
                                 {"status", !offset                ? "unknown"
                                            : clock_skewed(offset) ? "skewed"
                                                                   : "in sync"}};

  Json targets = Json::array();
  if (verdict.imds && verdict.imds_summary)
    targets.push_back(imds_target_json(*verdict.imds_summary, *verdict.imds));
  for (std::size_t i = 0; i < evidence.targets.size(); ++i) {
    // diagnose() keeps evidence order; match by index, checked by service.
    const TargetVerdict* tv = nullptr;
    if (i < verdict.targets.size() &&
        verdict.targets[i].service == evidence.targets[i].target.service) {
      tv = &verdict.targets[i];
    }
    targets.push_back(target_json(evidence.targets[i], tv, vpc_cidrs));
  }
  out["targets"] = targets;
  out["signed_call"] = signed_call_json(evidence.signed_call);
  out["notes"] = verdict.notes;
  out["deadline_reached"] = evidence.context.deadline_reached;

  // Evidence strings (certificate names, error texts) may hold bytes that
  // are not UTF-8; replace them rather than fail the whole report.
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace ssmreach
