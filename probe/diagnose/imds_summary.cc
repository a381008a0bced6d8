#include "probe/diagnose/imds_summary.h"

#include "probe/evidence/address_class.h"
#include "probe/evidence/http_evidence.h"

namespace ssmreach {
namespace {

using netcheck::HttpOutcome;

// A request that got no HTTP answer, as the TCP cell shows it (libcurl made
// the connection, so its outcome is what TCP did).
CellStatus transport_cell(HttpOutcome outcome) {
  switch (outcome) {
    case HttpOutcome::timeout:
      return CellStatus::timeout;
    case HttpOutcome::refused:
      return CellStatus::refused;
    case HttpOutcome::unreachable:
      return CellStatus::unreachable;
    case HttpOutcome::ok:
    case HttpOutcome::error:
      break;
  }
  return CellStatus::error;
}

// TCP: ok once anything answered (unless the token PUT went unanswered
// while GETs got through), else how the first failing request ended.
Cell tcp_cell(const ImdsEvidence& imds, const ImdsSummary& s) {
  if (s.answered) {
    const bool token_missing = s.first_put && !imds.token_ok;
    return {token_missing ? CellStatus::no_token : CellStatus::ok};
  }
  for (const auto& call : imds.calls)
    if (!answered(call)) return {transport_cell(call.outcome)};
  return {};
}

// HTTP: 200 when any request got it, else the first answer's status.
Cell http_cell(const ImdsEvidence& imds) {
  Cell cell;
  for (const auto& call : imds.calls) {
    if (!answered(call)) continue;
    if (cell.status == CellStatus::none || call.status == 200)
      cell = {CellStatus::ok, std::to_string(call.status)};
    if (call.status == 200) break;
  }
  return cell;
}

}  // namespace

ImdsSummary summarize_imds(const ImdsEvidence& imds, const std::vector<std::string>& vpc_cidrs) {
  ImdsSummary s;
  s.ip = url_host_port(imds.endpoint).host;
  const auto ip = netcheck::parse_ip(s.ip);
  s.address_class = ip ? classify_address(*ip, vpc_cidrs) : "unknown";
  s.token_ok = imds.token_ok;
  for (std::size_t i = 0; i < imds.calls.size(); ++i) {
    const ImdsCall& call = imds.calls[i];
    const bool answer = answered(call);
    s.answered |= answer;
    if (call.method == "PUT" && !s.first_put) s.first_put = i;
    if (call.method != "GET") continue;
    if (!s.first_get) s.first_get = i;
    ++s.gets;
    s.get_answered |= answer;
    s.get_ok |= answer && call.status == 200;
  }
  if (!imds.calls.empty()) {
    s.first_outcome = imds.calls.front().outcome;
    s.first_ms = imds.calls.front().ms;
  }
  s.tcp = tcp_cell(imds, s);
  s.http = http_cell(imds);
  return s;
}

}  // namespace ssmreach
