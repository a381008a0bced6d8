#include "probe/diagnose/table_cells.h"

namespace ssmreach {
namespace {

Cell dns_cell(const TargetEvidence& te) {
  using netcheck::DnsOutcome;
  if (te.host_is_literal) return {};
  if (!te.hosts.empty()) return {CellStatus::hosts};
  if (!te.dns) return {CellStatus::no_answer};
  switch (te.dns->outcome) {
    case DnsOutcome::ok:
      return {CellStatus::ok};
    case DnsOutcome::nxdomain:
      return {CellStatus::nxdomain};
    case DnsOutcome::no_address:
      return {CellStatus::no_data};
    case DnsOutcome::servfail:
      return {CellStatus::servfail};
    case DnsOutcome::refused:
      return {CellStatus::refused};
    case DnsOutcome::timeout:
      return {CellStatus::timeout};
    case DnsOutcome::unreachable:
      return {CellStatus::unreachable};
    case DnsOutcome::skipped:
    case DnsOutcome::error:
      break;
  }
  return {CellStatus::error};
}

Cell tcp_cell(const AddressEvidence& a) {
  using netcheck::TcpOutcome;
  if (!a.tcp) return {};
  switch (a.tcp->outcome) {
    case TcpOutcome::ok:
      return {CellStatus::ok, "", a.tcp->ms};
    case TcpOutcome::timeout:
      return {CellStatus::timeout};
    case TcpOutcome::refused:
      return {CellStatus::refused};
    case TcpOutcome::unreachable:
      return {CellStatus::unreachable};
    case TcpOutcome::error:
      break;
  }
  return {CellStatus::error};
}

// A completed handshake whose certificate failed says which way it failed:
// the address's cause.
CellStatus certificate_cell(const AddressVerdict& av) {
  switch (av.cause.value_or(Cause::tls_verify_failed)) {
    case Cause::tls_untrusted:
      return CellStatus::untrusted;
    case Cause::tls_hostname_mismatch:
      return CellStatus::name_mismatch;
    case Cause::tls_expired:
      return CellStatus::expired;
    case Cause::tls_not_yet_valid:
      return CellStatus::not_yet_valid;
    default:
      return CellStatus::verify_failed;
  }
}

Cell tls_cell(const AddressEvidence& a, const AddressVerdict& av) {
  using netcheck::TlsOutcome;
  if (!a.tls) return {};
  switch (a.tls->outcome) {
    case TlsOutcome::ok:
      break;
    case TlsOutcome::timeout:
      return {CellStatus::timeout};
    case TlsOutcome::protocol:
      return {CellStatus::protocol};
    case TlsOutcome::closed:
      return {CellStatus::closed};
    case TlsOutcome::error:
      return {CellStatus::error};
  }
  if (!a.tls->verify_errors.empty()) return {certificate_cell(av)};
  return {CellStatus::ok, a.tls->version};
}

Cell http_cell(const std::optional<HttpEvidence>& http) {
  if (!http) return {};
  switch (http->outcome) {
    case netcheck::HttpOutcome::ok:
      return {CellStatus::ok, std::to_string(http->status)};
    case netcheck::HttpOutcome::timeout:
      return {CellStatus::timeout};
    default:
      return {CellStatus::error};
  }
}

// The path through the proxy: CONNECT, then TLS and HTTP through the tunnel.
ProxyRow proxy_row(const ProxyPathEvidence& path) {
  const std::string& stage = path.failed_stage;
  const std::string connect = path.connect_status ? std::to_string(path.connect_status) : "";
  if (stage == "proxy-connect") return {{CellStatus::proxy_failed}, {}, {}};
  if (stage == "connect") return {{CellStatus::proxy_connect, connect}, {}, {}};
  const Cell tunnel{CellStatus::ok, std::to_string(path.connect_status)};
  if (stage == "tls")
    return {tunnel,
            {path.tls_verify_result ? CellStatus::verify_failed : CellStatus::handshake_failed},
            {}};
  return {tunnel, {CellStatus::ok}, http_cell(path.http)};
}

RowResult row_result(const TargetVerdict& tv, const AddressVerdict& av, bool proxied) {
  if (av.usable) {
    // The path works, but a signed call over it would not.
    return {RowResult::Kind::status, tv.failed_layer() == Layer::auth ? tv.status : Status::ok};
  }
  if (av.ignored) return {RowResult::Kind::no_route};
  if (proxied) return {RowResult::Kind::not_used};
  return {RowResult::Kind::status, tv.status};
}

}  // namespace

void fill_table_cells(const Evidence& evidence, Verdict& verdict) {
  for (std::size_t i = 0; i < evidence.targets.size() && i < verdict.targets.size(); ++i) {
    const TargetEvidence& te = evidence.targets[i];
    TargetVerdict& tv = verdict.targets[i];
    tv.dns = dns_cell(te);
    if (te.proxy_path) tv.proxy_row = proxy_row(*te.proxy_path);
    for (std::size_t k = 0; k < te.addresses.size() && k < tv.addresses.size(); ++k) {
      const AddressEvidence& a = te.addresses[k];
      AddressVerdict& av = tv.addresses[k];
      av.tcp = tcp_cell(a);
      av.tls = tls_cell(a, av);
      av.http = http_cell(a.http);
      av.result = row_result(tv, av, te.proxy_path.has_value());
    }
  }
}

}  // namespace ssmreach
