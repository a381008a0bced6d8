#include "probe/diagnose/table_cells.h"

#include <doctest/doctest.h>

#include "probe/diagnose/diagnosis.h"
#include "tests/unit/test_evidence.h"

using namespace ssmreach;
using namespace ssmreach::test;
using netcheck::DnsOutcome;
using netcheck::HttpOutcome;
using netcheck::TcpOutcome;
using netcheck::TlsOutcome;

TEST_CASE("table cells: each layer of each address as the diagnosis judged it") {
  auto untrusted =
      tls_verify_errors(host_of("ssmmessages"), {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY});
  auto e = evidence_with({healthy("ssm", "10.40.1.10"),
                          resolved("ssmmessages", {with_tls("10.40.1.11", untrusted)}),
                          resolved("ec2messages", {tcp_failed("10.40.1.12", TcpOutcome::refused)}),
                          dns_failure("kms", DnsOutcome::nxdomain)});
  const Verdict v = diagnose(e);
  REQUIRE(v.targets.size() == 4);

  const AddressVerdict& ok = v.targets[0].addresses.at(0);
  CHECK(v.targets[0].dns.status == CellStatus::ok);
  CHECK(ok.tcp.status == CellStatus::ok);
  CHECK(ok.tcp.ms == doctest::Approx(0.8));
  CHECK(ok.tls.status == CellStatus::ok);
  CHECK(ok.tls.value == "TLSv1.3");
  CHECK(ok.http.status == CellStatus::none);  // no HTTP evidence
  CHECK(ok.result.kind == RowResult::Kind::status);
  CHECK(ok.result.status == Status::ok);

  // A completed handshake with an untrusted chain: the cell names why.
  CHECK(v.targets[1].addresses.at(0).tls.status == CellStatus::untrusted);
  CHECK(v.targets[1].addresses.at(0).result.status == Status::critical);
  CHECK(v.targets[2].addresses.at(0).tcp.status == CellStatus::refused);
  CHECK_FALSE(v.targets[2].addresses.at(0).tcp.ms);
  CHECK(v.targets[2].addresses.at(0).tls.status == CellStatus::none);
  CHECK(v.targets[3].dns.status == CellStatus::nxdomain);
  CHECK(v.targets[3].addresses.empty());
}

TEST_CASE("table cells: unrouted IPv6 and the direct path beside a proxy") {
  auto dual = resolved(
      "ssm", {usable("10.40.1.10", host_of("ssm")),
              tcp_failed("2600:1f14:abc:ff00::10", TcpOutcome::unreachable, "ENETUNREACH")});
  auto proxied = resolved("ssmmessages", {tcp_failed("10.40.1.11", TcpOutcome::timeout)});
  ProxyPathEvidence path;
  path.proxy = "http://10.0.4.4:3128";
  path.failed_stage = "connect";
  path.connect_status = 403;
  proxied.proxy_path = path;
  const Verdict v = diagnose(evidence_with({dual, proxied}));
  REQUIRE(v.targets.size() == 2);
  CHECK(v.targets[0].addresses.at(1).result.kind == RowResult::Kind::no_route);
  REQUIRE(v.targets[1].proxy_row);
  CHECK(v.targets[1].proxy_row->tcp.status == CellStatus::proxy_connect);
  CHECK(v.targets[1].proxy_row->tcp.value == "403");
  CHECK(v.targets[1].proxy_row->tls.status == CellStatus::none);
  CHECK(v.targets[1].addresses.at(0).result.kind == RowResult::Kind::not_used);
  CHECK_FALSE(v.targets[0].proxy_row);
}

TEST_CASE("table cells: the IMDS summary is made once, from its calls") {
  auto e = evidence_with({healthy("ssm", "10.40.1.10")});
  Verdict v = diagnose(e);
  REQUIRE(v.imds_summary);
  CHECK(v.imds_summary->ip == "169.254.169.254");
  CHECK(v.imds_summary->address_class == "link-local");
  CHECK(v.imds_summary->answered);
  CHECK(v.imds_summary->tcp.status == CellStatus::ok);
  CHECK(v.imds_summary->http.value == "200");
  CHECK(v.imds_summary->first_put == 0u);
  CHECK(v.imds_summary->first_get == 1u);
  CHECK(v.imds_summary->gets == 1u);

  // The token PUT unanswered while GETs answer: NO TOKEN; the first answer's
  // status when none was 200.
  e.context.imds.token_ok = false;
  e.context.imds.calls = {
      {"PUT", "/latest/api/token", false, HttpOutcome::timeout, 0, "", 1000},
      {"GET", "/latest/meta-data/placement/region", false, HttpOutcome::ok, 401, "", 0.3}};
  v = diagnose(e);
  REQUIRE(v.imds_summary);
  CHECK(v.imds_summary->tcp.status == CellStatus::no_token);
  CHECK(v.imds_summary->http.value == "401");
  CHECK(v.imds_summary->first_outcome == HttpOutcome::timeout);

  // Nothing answered: how the first failing request ended.
  e.context.imds.calls = {{"PUT", "/latest/api/token", false, HttpOutcome::refused, 0, "", 0.2}};
  v = diagnose(e);
  CHECK(v.imds_summary->tcp.status == CellStatus::refused);
  CHECK(v.imds_summary->http.status == CellStatus::none);
  CHECK_FALSE(v.imds_summary->answered);

  e.context.imds = {};
  e.context.imds.skipped_by = "--no-imds";
  CHECK_FALSE(diagnose(e).imds_summary);
}
