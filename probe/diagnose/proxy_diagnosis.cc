#include "probe/diagnose/proxy_diagnosis.h"

#include <openssl/x509.h>

#include "netcheck/no_proxy.h"
#include "probe/diagnose/cert_problem.h"
#include "probe/evidence/address_class.h"
#include "probe/util/text_util.h"

namespace ssmreach::diagnosis_detail {
namespace {

std::string agent_environment_remedy(const std::string& line) {
  return "$ sudo systemctl edit amazon-ssm-agent\n"
         "    [Service]\n"
         "    Environment=\"" +
         line +
         "\"\n"
         "$ sudo systemctl restart amazon-ssm-agent";
}

// "this shell's environment", "--proxy", or the agent's unit file.
std::string settings_source(const RunContext& context) {
  const auto& source = context.proxy.source;
  if (source.empty() || source == "environment") return "this shell's environment";
  return source;
}

// The subject of a sentence about where the proxy settings are.
std::string settings_subject(const RunContext& context) {
  const auto& source = context.proxy.source;
  if (source.empty() || source == "environment") return "This shell's environment";
  return "The agent's service environment (" + source + ")";
}

struct PathConclusion {
  Cause cause = Cause::http_timeout;
  CauseText text;
};

// The proxy answered CONNECT, but not with a tunnel (or not in time).
PathConclusion connect_failure(const TargetContext& ctx, const ProxyPathEvidence& path,
                               const std::string& target, const std::string& curl) {
  const std::string& host = ctx.host();
  const std::string& proxy = path.proxy;
  PathConclusion c;
  CauseText& t = c.text;
  if (path.connect_status == 407) {
    c.cause = Cause::proxy_auth_required;
    const bool has = ctx.evidence.context.proxy.https_proxy_has_credentials;
    t.headline = "The proxy " + proxy + " requires authentication (407).";
    t.what = "The proxy answered CONNECT " + target + " with 407 Proxy Authentication " +
             "Required" +
             (has ? ": it rejects the user and password in the agent's https_proxy."
                  : ", and the agent's https_proxy has no user and password.");
    t.why = "The agent authenticates to a proxy only with Basic credentials in the URL.";
    t.remedy =
        "Put the proxy user in the agent's https_proxy (or let this instance through "
        "without authentication):\n" +
        agent_environment_remedy("https_proxy=http://USER:PASSWORD@" +
                                 proxy.substr(proxy.find("://") + 3));
    return c;
  }
  if (path.connect_status == 0) {
    c.cause = Cause::proxy_timeout;
    t.headline = "The proxy " + proxy + " does not answer CONNECT.";
    t.what = "The proxy accepted the connection but did not answer CONNECT " + target +
             " in time (" + seconds_text(path.http.ms) + ").";
    t.why = "The proxy is overloaded, or it cannot reach " + host + " itself.";
    t.remedy = "Check the proxy's own connectivity to " + host + ":\n" + curl;
    return c;
  }
  c.cause = Cause::proxy_connect_denied;
  t.headline =
      "The proxy refuses CONNECT " + target + " (" + std::to_string(path.connect_status) + ").";
  t.what = "The proxy " + proxy + " answered CONNECT " + target + " with HTTP " +
           std::to_string(path.connect_status) + ".";
  t.why =
      "Its access rules do not allow this destination: an allow list without "
      "*.amazonaws.com (or this endpoint's name), or CONNECT limited to other ports.";
  t.remedy = "Allow CONNECT to " + target +
             " on the proxy (squid: \"acl aws dstdomain .amazonaws.com\" and "
             "\"http_access allow CONNECT aws\"), then check:\n" +
             curl;
  return c;
}

PathConclusion proxy_failure(const TargetContext& ctx, const ProxyPathEvidence& path) {
  const std::string& host = ctx.host();
  const std::string target = host + ":" + std::to_string(ctx.port());
  const std::string& proxy = path.proxy;
  const std::string curl = "$ curl -sv -x " + proxy + " https://" + host + "/ -o /dev/null";
  PathConclusion c;
  CauseText& t = c.text;

  if (path.failed_stage == "proxy-connect") {
    c.cause = Cause::proxy_unreachable;
    const std::string words =
        path.http.error.empty() ? to_string(path.http.outcome) : path.http.error;
    // libcurl's words for CURLE_COULDNT_RESOLVE_PROXY (lib/hostip.c).
    const bool unresolved = path.http.error.starts_with("Could not resolve proxy");
    t.headline = "The proxy " + proxy +
                 (unresolved ? ": its name does not resolve." : " cannot be reached.");
    t.what = "Connecting to the proxy " + proxy + " failed (" + words + ").";
    t.why = unresolved
                ? "This instance's resolvers do not know the proxy's host name: the name in "
                  "the agent's https_proxy is misspelt, or it is known only in another network."
                : "The proxy is down, the address or port in the agent's https_proxy is wrong, "
                  "or a security group or firewall keeps this instance from it.";
    t.remedy = "Check the proxy setting (from " + settings_source(ctx.evidence.context) +
               ") and that the proxy answers:\n" + curl;
    return c;
  }

  if (path.failed_stage == "connect") return connect_failure(ctx, path, target, curl);

  if (path.failed_stage == "tls") {
    if (path.tls_verify_result != 0) {
      const int code = static_cast<int>(path.tls_verify_result);
      const std::string text = X509_verify_cert_error_string(path.tls_verify_result);
      const CertProblem problem = classify_verify_code(code);
      c.cause = cause_of(problem);
      t.headline =
          "Through the proxy, the certificate for " + host + " is rejected (" + text + ").";
      t.what = "The TLS handshake through the proxy's tunnel to " + target +
               " failed verification: " + text + ".";
      if (problem == CertProblem::untrusted) {
        t.why =
            "The proxy inspects TLS: it re-signs the connection with its own CA, which this "
            "instance does not trust (and the agent will not either).";
        t.remedy =
            "Exempt *.amazonaws.com from TLS inspection on the proxy, or add the proxy's CA to "
            "this instance's trust store (update-ca-trust on Amazon Linux and RHEL, "
            "update-ca-certificates on Debian and Ubuntu). See the certificate:\n" +
            curl;
      } else {
        t.why = "The proxy or a device behind it serves a certificate that is not " + host + "'s.";
        t.remedy = "See what is served through the proxy:\n" + curl;
      }
      return c;
    }
    const bool timeout = path.http.outcome == netcheck::HttpOutcome::timeout;
    c.cause = timeout ? Cause::tls_timeout : Cause::tls_protocol;
    t.headline = "No TLS with " + host + " through the proxy.";
    t.what = "The proxy accepted CONNECT " + target + ", but the TLS handshake through it " +
             (timeout ? "did not complete in " + seconds_text(path.http.ms) + "."
                      : "failed (" + path.http.error + ").");
    t.why = "The proxy or the destination does not pass TLS through the tunnel.";
    t.remedy = "Check by hand:\n" + curl;
    return c;
  }

  c.cause = Cause::http_timeout;
  t.headline = "No HTTP answer from " + host + " through the proxy.";
  t.what = "CONNECT and TLS through the proxy work, but the HTTPS request got no answer (" +
           (path.http.error.empty() ? seconds_text(path.http.ms) : path.http.error) + ").";
  t.why = "The proxy or a device behind it holds the request.";
  t.remedy = "Check by hand:\n" + curl;
  return c;
}

}  // namespace

void weigh_proxy_path(const TargetContext& ctx, TargetVerdict& tv) {
  if (!ctx.target.proxy_path) return;
  const auto& path = *ctx.target.proxy_path;
  const bool direct_works = tv.status == Status::ok || tv.status == Status::warning;

  if (path.failed_stage.empty()) {
    const std::string direct = tv.status == Status::ok ? "" : " Direct: " + tv.headline;
    tv.status = Status::ok;
    tv.cause.reset();
    tv.headline = "Reachable through the proxy " + path.proxy + ": CONNECT " +
                  std::to_string(path.connect_status) + ", TLS verified, HTTP " +
                  std::to_string(path.http.status) + ".";
    tv.explanation = direct.empty() ? ""
                                    : "The agent uses the proxy, so direct paths do not "
                                      "matter." +
                                          direct;
    tv.remedy.clear();
    return;
  }

  PathConclusion c = proxy_failure(ctx, path);
  if (direct_works) {
    c.text.why += " Direct connections to " + ctx.host() + " work: the proxy is the only problem.";
    c.text.remedy +=
        "\nOr let the agent go direct: add " + ctx.host() + " to no_proxy in its environment.";
  }
  tv.status = Status::critical;
  fill_failure(tv, c.cause, c.text);
}

void weigh_imds_proxy(const RunContext& context, TargetVerdict& imds) {
  const auto& proxy = context.proxy;
  if (proxy.http_proxy.empty() || proxy.source.starts_with("--")) return;
  if (imds.status == Status::critical) return;  // IMDS itself is the problem
  const auto endpoint = url_host_port(context.imds.endpoint.empty() ? "http://169.254.169.254"
                                                                    : context.imds.endpoint);
  if (netcheck::NoProxy::parse(proxy.no_proxy).excludes(endpoint.host, endpoint.port)) return;

  imds.status = Status::critical;
  CauseText t;
  t.headline =
      "The agent's metadata requests go to the proxy: no_proxy lacks " + endpoint.host + ".";
  t.what = settings_subject(context) + " sets http_proxy=" + proxy.http_proxy + " and " +
           (proxy.no_proxy.empty() ? "no no_proxy" : "no_proxy=" + proxy.no_proxy) +
           ", so an agent with these settings sends its IMDS requests (region, credentials) "
           "to the proxy.";
  t.why =
      "Only this instance can reach its metadata service: the proxy gets an error or, worse, "
      "its own instance's answers.";
  t.remedy =
      "Exempt the metadata service in the agent's environment (keep any other "
      "entries):\n" +
      agent_environment_remedy("no_proxy=" + endpoint.host +
                               (proxy.no_proxy.empty() ? "" : "," + proxy.no_proxy));
  fill_failure(imds, Cause::proxy_imds_not_excluded, t);
  imds.impact =
      "The agent cannot read its credentials or region: the instance stays offline in Fleet "
      "Manager.";
}

}  // namespace ssmreach::diagnosis_detail
