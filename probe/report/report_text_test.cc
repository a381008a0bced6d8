#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "probe/diagnose/diagnosis.h"
#include "probe/report/report.h"
#include "tests/unit/test_evidence.h"

using namespace ssmreach;
using namespace ssmreach::test;
using netcheck::DnsOutcome;
using netcheck::TcpOutcome;
using netcheck::TlsOutcome;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Removes ANSI colour sequences ("\033[...m").
std::string strip_ansi(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\033') {
      while (i < text.size() && text[i] != 'm') ++i;
      continue;
    }
    out += text[i];
  }
  return out;
}

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// The width and charset rules on one rendering; `what` names it on failure.
void check_rules(const std::string& what, const std::string& text, bool color) {
  CAPTURE(what);
  REQUIRE_FALSE(text.empty());
  CHECK(text.back() == '\n');
  CHECK(has(text, "\033") == color);
  for (const auto& raw : lines_of(strip_ansi(text))) {
    CAPTURE(raw);
    CHECK(raw.size() <= 80);
    for (char c : raw) {
      const auto b = static_cast<unsigned char>(c);
      CHECK((b >= 0x20 && b < 0x7f));
    }
  }
}

std::string long_host(std::size_t length) {
  std::string host = "ssmmessages.";
  while (host.size() < length - 14) host += "very-long-label.";
  return host + "amazonaws.com";
}

// Synthetic evidence covering every cause, long names, IPv6 and odd bytes.
std::vector<std::pair<std::string, Evidence>> scenarios() {
  std::vector<std::pair<std::string, Evidence>> out;
  auto add = [&](std::string name, Evidence e) { out.emplace_back(std::move(name), std::move(e)); };

  const std::vector<std::function<TargetEvidence(const std::string& service)>> makers = {
      [](const std::string& s) { return healthy(s, "10.40.1.10"); },
      [](const std::string& s) { return dns_failure(s, DnsOutcome::nxdomain); },
      [](const std::string& s) { return dns_failure(s, DnsOutcome::servfail); },
      [](const std::string& s) { return dns_failure(s, DnsOutcome::refused); },
      [](const std::string& s) { return dns_failure(s, DnsOutcome::timeout); },
      [](const std::string& s) { return dns_failure(s, DnsOutcome::no_address); },
      [](const std::string& s) { return dns_failure(s, DnsOutcome::unreachable); },
      [](const std::string& s) { return dns_failure(s, DnsOutcome::error); },
      [](const std::string& s) {
        return resolved(s, {tcp_failed("10.40.1.11", TcpOutcome::timeout)});
      },
      [](const std::string& s) {
        return resolved(s, {tcp_failed("52.94.1.1", TcpOutcome::timeout)});
      },
      [](const std::string& s) {
        return resolved(s, {tcp_failed("10.40.1.11", TcpOutcome::refused, "ECONNREFUSED")});
      },
      [](const std::string& s) {
        return resolved(s, {tcp_failed("10.40.1.11", TcpOutcome::unreachable, "EPERM")});
      },
      [](const std::string& s) {
        return resolved(s, {tcp_failed("10.40.1.11", TcpOutcome::unreachable, "EHOSTUNREACH")});
      },
      [](const std::string& s) {
        return resolved(s, {tcp_failed("10.40.1.11", TcpOutcome::error, "EMFILE")});
      },
      [](const std::string& s) {
        return resolved(s, {with_tls("10.40.1.11", tls_failed(host_of(s), TlsOutcome::timeout))});
      },
      [](const std::string& s) {
        return resolved(
            s, {with_tls("10.40.1.11",
                         tls_failed(host_of(s), TlsOutcome::protocol,
                                    "error:0A00010B:SSL routines::wrong version number"))});
      },
      [](const std::string& s) {
        return resolved(s, {with_tls("10.40.1.11", tls_failed(host_of(s), TlsOutcome::closed))});
      },
      [](const std::string& s) {
        return resolved(s, {with_tls("10.40.1.11", tls_failed(host_of(s), TlsOutcome::error))});
      },
      [](const std::string& s) {
        auto tls = tls_verify_errors(host_of(s), {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY});
        tls.issuer_cn = "Corp SSL Inspection Intermediate CA for Outbound Traffic Number 7";
        return resolved(s, {with_tls("10.40.1.11", tls)});
      },
      [](const std::string& s) {
        auto tls = tls_verify_errors(host_of(s), {X509_V_ERR_HOSTNAME_MISMATCH});
        tls.sans = {"a.example", "b.example", "c.example", "d.example"};
        return resolved(s, {with_tls("10.40.1.11", tls)});
      },
      [](const std::string& s) {
        return resolved(
            s,
            {with_tls("10.40.1.11", tls_verify_errors(host_of(s), {X509_V_ERR_CERT_HAS_EXPIRED}))});
      },
      [](const std::string& s) {
        return resolved(s,
                        {with_tls("10.40.1.11",
                                  tls_verify_errors(host_of(s), {X509_V_ERR_CERT_NOT_YET_VALID}))});
      },
      [](const std::string& s) {
        return resolved(s, {with_tls("10.40.1.11",
                                     tls_verify_errors(host_of(s), {X509_V_ERR_INVALID_PURPOSE}))});
      },
      [](const std::string& s) {
        return resolved(
            s, {usable("10.40.1.11", host_of(s)), tcp_failed("10.40.2.11", TcpOutcome::timeout)});
      },
      [](const std::string& s) {
        return resolved(s, {usable("10.40.1.11", host_of(s)),
                            tcp_failed("2600:1f14:abc:ff00:1234:5678:9abc:def0",
                                       TcpOutcome::unreachable, "ENETUNREACH")});
      },
      [](const std::string& s) {
        auto t = resolved(s, {tcp_failed("10.1.2.3", TcpOutcome::timeout, "", 3000, "hosts")});
        t.hosts = {ip("10.1.2.3")};
        t.dns = dns_ok(t.target.host, {"10.40.1.12"});
        return t;
      },
  };
  const std::vector<std::string> services = {"ssm", "ssmmessages", "ec2messages", "kms"};

  // Each maker alone, for each service.
  for (std::size_t i = 0; i < makers.size(); ++i) {
    for (const auto& service : services) {
      auto target = makers[i](service);
      if (service == "kms") target.target.required = false;
      add("maker " + std::to_string(i) + " " + service, evidence_with({target}));
    }
  }
  // All makers in one run.
  {
    std::vector<TargetEvidence> all;
    for (std::size_t i = 0; i < makers.size(); ++i) all.push_back(makers[i](services[i % 3]));
    add("all at once", evidence_with(all));
  }
  // Very long host names (up to the DNS maximum) in every cause.
  for (std::size_t length : {70u, 120u, 253u}) {
    std::vector<TargetEvidence> all;
    for (const auto& maker : makers) {
      auto t = maker("ssmmessages");
      t.target.host = long_host(length);
      if (t.dns) t.dns->name = t.target.host;
      for (auto& a : t.addresses) {
        if (a.tls) a.tls->server_name = t.target.host;
      }
      all.push_back(t);
    }
    auto e = evidence_with(all);
    e.context.region = {"ap-southeast-7-very-long-region-name", "AWS_DEFAULT_REGION"};
    add("long host " + std::to_string(length), e);
  }
  // Odd context: no resolver, no trust store, non-ASCII bytes, IPv6 resolvers.
  {
    auto t = dns_failure("ssm", DnsOutcome::error);
    t.dns.reset();
    auto e = evidence_with({t});
    e.context.resolvers.clear();
    e.context.resolvers_error =
        "/etc/resolv.conf: no nameserver line, and the file is a dangling symlink to "
        "/run/systemd/resolve/stub-resolv.conf which does not exist on this instance";
    e.context.trust_store = {"", "",
                             "SSL_CERT_FILE=/opt/corp/bundles/a/very/long/path/to/a/ca/"
                             "bundle/that/does/not/exist.pem: no such file"};
    add("no resolver, no trust store", e);
  }
  {
    auto tls = tls_verify_errors(host_of("ssm"), {X509_V_ERR_CERT_UNTRUSTED});
    tls.issuer_cn = "Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale \xff\x01 Inspection\tCA";
    tls.error = "bad\nnewline";
    auto e = evidence_with({resolved("ssm", {with_tls("10.40.1.11", tls)})});
    e.context.resolvers = {server("fd00:ec2::253"), server("2600:1f14:abc:ff00::53", 5353),
                           server("10.40.0.2"), server("10.40.5.53")};
    e.context.trust_store.path =
        "/etc/pki/ca-trust/extracted/pem/a-really-long-directory-name/tls-ca-bundle.pem";
    add("non-ascii issuer and ipv6 resolvers", e);
  }
  {
    auto e = evidence_with({healthy("ssm", "10.40.1.10")});
    e.context.imds.calls = {
        {"PUT", "/latest/api/token", false, netcheck::HttpOutcome::timeout, 0, "timeout", 1000}};
    e.context.imds.token_ok = false;
    add("imds unreachable", e);
  }
  {
    auto e = evidence_with({healthy("ssm", "10.40.1.10")});
    e.context.imds = {};
    e.context.imds.skipped_by = "AWS_EC2_METADATA_DISABLED";
    e.context.region = {};
    add("no imds, no region", e);
  }
  return out;
}

}  // namespace

TEST_CASE("text: every line <= 80 columns and plain ASCII, with and without colour") {
  for (const auto& [name, evidence] : scenarios()) {
    const Verdict verdict = diagnose(evidence);
    check_rules(name + " (plain)", render_text(evidence, verdict, {false, 80}), false);
    check_rules(name + " (colour)", render_text(evidence, verdict, {true, 80}), true);
  }
}

TEST_CASE("text: layout of a critical run") {
  auto e = evidence_with({healthy("ssm", "10.40.1.10"),
                          resolved("ssmmessages", {tcp_failed("10.40.1.11", TcpOutcome::timeout)}),
                          healthy("ec2messages", "10.40.1.12")});
  const std::string text = render_text(e, diagnose(e), {false, 80});
  CAPTURE(text);
  const auto lines = lines_of(text);
  REQUIRE(lines.size() > 8);
  CHECK(lines[0] == "ssm-reach 0.1.0  region eu-west-1 (--region)  agent: version unknown");
  CHECK(lines[1] == "resolver 10.40.5.53 (/etc/resolv.conf)  proxy: none");
  // The trust store's long path comes last, on a line of its own.
  CHECK(lines[2] == "trust: /etc/ssl/certs/ca-certificates.crt (system)");
  CHECK(lines[3].empty());
  CHECK(lines[4].starts_with("TARGET"));
  CHECK(has(lines[4], "ADDRESS"));
  CHECK(has(lines[4], "TCP 443"));
  CHECK(has(lines[4], "HTTP"));
  CHECK(has(lines[4], "RESULT"));
  CHECK(lines[5].starts_with("imds"));
  CHECK(has(lines[5], "169.254.169.254 link"));
  CHECK(lines[6].starts_with("ssm "));
  CHECK(has(lines[6], "10.40.1.10 vpc"));
  CHECK(has(lines[6], "ok 0.8ms"));
  CHECK(has(lines[6], "TLS1.3"));
  CHECK(lines[7].starts_with("ssmmessages"));
  CHECK(has(lines[7], "TIMEOUT"));
  CHECK(lines[7].ends_with("CRITICAL"));
  // The summary line introduces the first block; the fix comes before why.
  CHECK(has(text,
            "\n\nssmmessages blocked: connections time out (dropped on the way).\n"
            "CRITICAL ssmmessages: TCP 443 to VPC address 10.40.1.11 timed out (3.0 s).\n"
            "  Fix:    Allow inbound TCP 443"));
  CHECK(has(text, "\n  Why:    TCP 443 to 10.40.1.11 got no answer"));
  CHECK(has(text, "\n  Impact: Session Manager fails with TargetNotConnected"));
  CHECK(has(text, "\n  Fix:    Allow inbound TCP 443"));
  CHECK(has(text, "\n          aws ec2 describe-vpc-endpoints --region eu-west-1 \\\n"));
  CHECK(has(text, "\nResult: CRITICAL (exit 2): not usable from this instance: ssmmessages."));
  // Healthy targets get no block.
  CHECK_FALSE(has(text, "ok ssm:"));
}

TEST_CASE("text: a target with two addresses shows two rows, DNS failures one") {
  auto e = evidence_with(
      {resolved("ssm", {usable("10.40.1.10", host_of("ssm")),
                        tcp_failed("10.40.2.10", TcpOutcome::refused, "ECONNREFUSED")}),
       dns_failure("ec2messages", DnsOutcome::nxdomain)});
  const std::string text = render_text(e, diagnose(e), {false, 80});
  CAPTURE(text);
  const auto lines = lines_of(text);
  std::size_t table = 0;
  while (table < lines.size() && !lines[table].starts_with("TARGET")) ++table;
  REQUIRE(table + 4 < lines.size());
  CHECK(lines[table + 2].starts_with("ssm "));
  CHECK(lines[table + 3].starts_with("    "));
  CHECK(has(lines[table + 3], "REFUSED"));
  CHECK(lines[table + 3].ends_with("WARNING"));
  CHECK(lines[table + 4].starts_with("ec2messages  -"));
  CHECK(has(lines[table + 4], "NXDOMAIN"));
  CHECK(has(text, "\nWARNING ssm: VPC address 10.40.2.10 refused TCP 443 (nothing listens); 1"));
  CHECK(has(text, "\nCRITICAL ec2messages: DNS: "));
}

TEST_CASE("text: colour only on status words") {
  auto e =
      evidence_with({healthy("ssm", "10.40.1.10"),
                     resolved("ssmmessages", {tcp_failed("10.40.1.11", TcpOutcome::timeout)})});
  const std::string text = render_text(e, diagnose(e), {true, 80});
  CHECK(has(text, "\033[1;31mCRITICAL\033[0m ssmmessages:"));
  CHECK(has(text, "\033[32mok\033[0m"));
  // Colouring changes nothing else.
  CHECK(strip_ansi(text) == render_text(e, diagnose(e), {false, 80}));
}

TEST_CASE("text: long commands wrap with continuations and still paste as the same command") {
  const std::string long_token(150, 'x');
  const std::vector<std::string> commands = {
      "aws ec2 describe-vpc-endpoints --region eu-west-1 --filters "
      "Name=vpc-id,Values=vpc-0abc1234 "
      "Name=service-name,Values=com.amazonaws.eu-west-1.ssmmessages "
      "--query 'VpcEndpoints[].Groups'",
      "nslookup " + long_token + ".amazonaws.com 10.40.5.53",
      "echo short",
  };
  Evidence e = evidence_with({resolved("ssm", {tcp_failed("10.40.1.11", TcpOutcome::timeout)})});
  Verdict v = diagnose(e);
  std::string remedy = "Run these:";
  for (const auto& c : commands) remedy += "\n$ " + c;
  v.problems[0].remedy = remedy;

  const std::string text = render_text(e, v, {false, 80});
  CAPTURE(text);
  check_rules("commands", text, false);

  // Rebuild the commands as a shell reads the Fix block: backslash-newline
  // vanishes, runs of blanks separate words.
  const auto lines = lines_of(text);
  std::size_t i = 0;
  while (i < lines.size() && !lines[i].starts_with("  Fix:")) ++i;
  REQUIRE(i < lines.size());
  ++i;  // past the prose line
  std::string joined;
  // The Fix block ends where Why begins.
  for (; i < lines.size() && !lines[i].starts_with("  Why:"); ++i) {
    const std::string& line = lines[i];
    if (line.ends_with("\\")) {
      joined += line.substr(0, line.size() - 1);
    } else {
      joined += line + "\n";
    }
  }
  std::vector<std::string> rebuilt;
  for (const auto& raw : lines_of(joined)) {
    std::string command;
    for (char c : raw) {
      if (c == ' ' && (command.empty() || command.back() == ' ')) continue;
      command += c;
    }
    while (!command.empty() && command.back() == ' ') command.pop_back();
    rebuilt.push_back(command);
  }
  REQUIRE(rebuilt.size() == commands.size());
  for (std::size_t k = 0; k < commands.size(); ++k) CHECK(rebuilt[k] == commands[k]);
}

TEST_CASE("text: notes and the summary line") {
  auto e = evidence_with({healthy("ssm", "10.40.1.10")});
  e.context.region = {};
  const std::string text = render_text(e, diagnose(e), {false, 80});
  CHECK(has(text, "region unknown"));
  CHECK(has(text, "Result: UNKNOWN (exit 3)"));
  CHECK(has(text, "\nNotes:\n  - No region could be determined"));

  auto ok = evidence_with({healthy("ssm", "10.40.1.10"), healthy("ssmmessages", "10.40.1.11")});
  CHECK(has(render_text(ok, diagnose(ok), {false, 80}),
            "Result: ok (exit 0): all 2 targets are reachable from this instance."));
}

TEST_CASE("text: targets failing the same way share one block") {
  auto e = evidence_with(
      {dns_failure("ssm", DnsOutcome::timeout), dns_failure("ssmmessages", DnsOutcome::timeout),
       resolved("ec2messages", {tcp_failed("10.40.1.12", TcpOutcome::timeout)})});
  const std::string text = render_text(e, diagnose(e), {false, 80});
  CAPTURE(text);
  CHECK(has(text, "\nCRITICAL ssm, ssmmessages: DNS: "));
  CHECK_FALSE(has(text, "\nCRITICAL ssmmessages: "));
  // Without ssm nothing works: its impact speaks for the group.
  CHECK(has(text, "Impact: The instance does not register"));
  CHECK_FALSE(has(text, "TargetNotConnected"));
  // A different cause keeps its own block.
  CHECK(has(text, "\nCRITICAL ec2messages: TCP 443"));
}

TEST_CASE("text: the header says where the instance is") {
  auto e = evidence_with({healthy("ssm", "10.40.1.10")});
  auto& facts = e.context.imds.facts;
  facts["meta-data/instance-id"] = "i-0abc1234";
  facts["meta-data/placement/availability-zone"] = "eu-west-1a";
  facts["meta-data/network/interfaces/macs/0a:1b:2c:3d:4e:5f/vpc-id"] = "vpc-0abc";
  const auto lines = lines_of(render_text(e, diagnose(e), {false, 80}));
  REQUIRE(lines.size() > 2);
  // Too long for one line of 80: the VPC goes to its own.
  CHECK(lines[1] == "i-0abc1234 in eu-west-1a");
  CHECK(lines[2] == "vpc-0abc (10.40.0.0/16, 100.64.0.0/16, 2600:1f14:abc::/56)");
}

TEST_CASE("text: the same problem on different addresses still shares one block") {
  auto untrusted = [](const std::string& service, const std::string& ip) {
    return resolved(
        service, {with_tls(ip, tls_verify_errors(host_of(service),
                                                 {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY}))});
  };
  auto e = evidence_with(
      {untrusted("ssmmessages", "10.40.1.11"), untrusted("ec2messages", "10.40.1.12")});
  const std::string text = render_text(e, diagnose(e), {false, 80});
  CAPTURE(text);
  CHECK(has(text, "\nCRITICAL ssmmessages, ec2messages: "));
  // Neither is ssm: each impact is kept, named.
  CHECK(has(text, "ssmmessages: Session Manager"));
  CHECK(has(text, "ec2messages: Run Command"));
}

TEST_CASE("text: a long TCP time stays in its column (issue 15, 9)") {
  for (const auto& [ms, cell] : std::vector<std::pair<double, std::string>>{{0.8, "ok 0.8ms"},
                                                                            {9999.0, "ok 9999ms"},
                                                                            {12345.0, "ok 12s"},
                                                                            {1e7, "ok 10000s"},
                                                                            {-1e7, "ok 0.0ms"}}) {
    auto e = evidence_with({healthy("ssm", "10.40.1.10"), healthy("ssmmessages", "10.40.1.11"),
                            healthy("ec2messages", "10.40.1.12")});
    e.targets[0].addresses[0].tcp->ms = ms;
    const auto lines = lines_of(render_text(e, diagnose(e), {false, 80}));
    const auto row = std::find_if(lines.begin(), lines.end(),
                                  [](const std::string& l) { return l.starts_with("ssm "); });
    REQUIRE(row != lines.end());
    CAPTURE(*row);
    CHECK(has(*row, cell));
    CHECK(has(*row, "TLS1.3"));  // the rest of the row did not move to the next line
    CHECK(row->ends_with("ok"));
  }
}

TEST_CASE("text: one root cause for every service is one block, its fix one loop") {
  std::vector<TargetEvidence> targets;
  int last = 10;
  for (const std::string s : {"ssm", "ssmmessages", "ec2messages"})
    targets.push_back(
        resolved(s, {tcp_failed("203.0.113." + std::to_string(last++), TcpOutcome::timeout)}));
  auto e = evidence_with(targets);
  const std::string text = render_text(e, diagnose(e), {false, 80});
  CAPTURE(text);
  check_rules("grouped", text, false);
  const auto lines = lines_of(text);
  // The summary line, then the one block: its headline and fix.
  std::size_t summary = 0;
  while (summary < lines.size() && !lines[summary].starts_with("3 of 3 services blocked"))
    ++summary;
  REQUIRE(summary + 1 < lines.size());
  CHECK(lines[summary - 1].empty());
  CHECK(lines[summary + 1].starts_with("CRITICAL ssm, ssmmessages, ec2messages: "));
  CHECK(has(text, "\n  Fix:    "));
  CHECK(has(text, "for s in ssm ssmmessages ec2messages; do aws ec2"));
  CHECK_FALSE(has(text, "\nCRITICAL ssmmessages"));
  CHECK_FALSE(has(text, "com.amazonaws.eu-west-1.ec2messages"));
  // Why and Impact once each.
  std::size_t whys = 0;
  for (const auto& line : lines) whys += line.starts_with("  Why:") ? 1 : 0;
  CHECK(whys == 1);
  // Header, table, summary and the whole first block before the result line
  // fit well within the 45 lines the serial console allows.
  std::size_t result = 0;
  while (result < lines.size() && !lines[result].starts_with("Result:")) ++result;
  CHECK(result + 1 <= 45);
}

TEST_CASE("text: a wider terminal wraps less, and no line passes the width") {
  auto e =
      evidence_with({resolved("ssmmessages", {tcp_failed("10.40.1.11", TcpOutcome::timeout)})});
  const Verdict v = diagnose(e);
  const std::string narrow = render_text(e, v, {false, 80});
  const std::string wide = render_text(e, v, {false, 120});
  const std::string tight = render_text(e, v, {false, 60});
  for (const auto& [width, text] :
       std::vector<std::pair<std::size_t, std::string>>{{80, narrow}, {120, wide}, {60, tight}}) {
    CAPTURE(text);
    bool reaches_past_80 = false;
    for (const auto& line : lines_of(text)) {
      CHECK(line.size() <= width);
      reaches_past_80 |= line.size() > 80;
    }
    CHECK(reaches_past_80 == (width > 80));
  }
  CHECK(lines_of(wide).size() < lines_of(narrow).size());
  CHECK(lines_of(narrow).size() < lines_of(tight).size());
}
