// The text report: for a person at an 80-column terminal or a serial console.
//
// Plain ASCII only (evidence strings are cleaned), no line longer than
// style.width, ANSI colour only on status words and only when asked. Prose
// wraps with a hanging indent; shell commands wrap with " \" continuations so
// they still paste and run.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "probe/address_class.h"
#include "probe/report.h"
#include "probe/text_util.h"

namespace ssmreach {
namespace {

constexpr std::size_t kLabelIndent = 10;  // "  Why:    " and friends
constexpr std::size_t kMinWidth = 40;

// Printable ASCII only: anything else becomes '?', whitespace a space.
std::string clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '\t' || byte == '\n' || byte == '\r') {
      out += ' ';
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out;
}

// Words separated by spaces. With `keep_quotes`, a quoted part ('...' or
// "...") stays in one word, as a shell reads it.
std::vector<std::string> split_words(std::string_view text, bool keep_quotes = false) {
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  for (const char c : text) {
    if (quote) {
      word += c;
      if (c == quote) quote = 0;
    } else if (keep_quotes && (c == '\'' || c == '"')) {
      word += c;
      quote = c;
    } else if (c == ' ') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

// Greedy word wrap. The first line starts with `first` (already laid out),
// further lines with `indent` spaces. Words too long for a line are cut.
void wrap_prose(std::vector<std::string>& out, std::string_view text, std::string first,
                std::size_t indent, std::size_t width) {
  std::string line = std::move(first);
  bool has_word = false;
  for (std::string word : split_words(clean(text))) {
    const std::size_t needed = word.size() + (has_word ? 1 : 0);
    if (line.size() + needed <= width) {
      if (has_word) line += ' ';
      line += word;
      has_word = true;
      continue;
    }
    if (has_word) {
      out.push_back(line);
      line = std::string(indent, ' ');
    }
    while (line.size() + word.size() > width) {
      const std::size_t room = width > line.size() ? width - line.size() : 0;
      if (room == 0) {
        out.push_back(line);
        line = std::string(indent, ' ');
        continue;
      }
      line += word.substr(0, room);
      word.erase(0, room);
      out.push_back(line);
      line = std::string(indent, ' ');
    }
    line += word;
    has_word = true;
  }
  out.push_back(line);
}

// Wraps a shell command so that it still runs when pasted: lines end with
// " \" and continue two columns deeper. A single word longer than a line is
// split with a bare "\" and continues at column 0, because indentation would
// otherwise become part of the word.
void wrap_command(std::vector<std::string>& out, std::string_view command, std::string first,
                  std::size_t indent, std::size_t width) {
  const std::size_t continuation = indent + 2;
  // "--option value" stays on one line when it can.
  const auto shell_words = split_words(clean(command), /*keep_quotes=*/true);
  std::vector<std::string> words;
  for (std::size_t i = 0; i < shell_words.size(); ++i) {
    const std::string& word = shell_words[i];
    const bool option =
        word.starts_with("-") && i + 1 < shell_words.size() && !shell_words[i + 1].starts_with("-");
    if (option && continuation + word.size() + 1 + shell_words[i + 1].size() + 2 <= width) {
      words.push_back(word + " " + shell_words[i + 1]);
      ++i;
    } else {
      words.push_back(word);
    }
  }
  std::string line = std::move(first);
  bool has_word = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string word = words[i];
    const bool last = i + 1 == words.size();
    const std::size_t limit = last ? width : width - 2;  // room for " \"
    if (line.size() + word.size() + (has_word ? 1 : 0) <= limit) {
      if (has_word) line += ' ';
      line += word;
      has_word = true;
      continue;
    }
    if (has_word) {
      out.push_back(line + " \\");
      line = std::string(continuation, ' ');
    }
    // Cut an overlong word: each piece ends with "\" (joined by the shell).
    while (line.size() + word.size() > limit) {
      const std::size_t room = width - 1 > line.size() ? width - 1 - line.size() : 0;
      if (room == 0) {
        out.push_back(line + "\\");
        line.clear();
        continue;
      }
      line += word.substr(0, room);
      word.erase(0, room);
      out.push_back(line + "\\");
      line.clear();
    }
    line += word;
    has_word = true;
  }
  out.push_back(line);
}

const char* color_code(std::string_view word) {
  if (word == "ok") return "\033[32m";
  if (word == "WARNING") return "\033[33m";
  if (word == "CRITICAL") return "\033[1;31m";
  if (word == "UNKNOWN") return "\033[35m";
  return nullptr;
}

// Colours `word` where it starts at `column` of `line` (widths unchanged).
void paint(std::string& line, std::size_t column, std::string_view word, bool color) {
  if (!color) return;
  const char* code = color_code(word);
  if (!code || line.compare(column, word.size(), word) != 0) return;
  line.insert(column + word.size(), "\033[0m");
  line.insert(column, code);
}

std::string short_class(const std::string& cls) {
  if (cls == "loopback") return "lo";
  if (cls == "link-local") return "link";
  return cls;
}

std::string tcp_cell(const AddressEvidence& a) {
  if (!a.tcp) return "-";
  switch (a.tcp->outcome) {
    case netcheck::TcpOutcome::ok: {
      char buffer[32];
      const double ms = a.tcp->ms;
      std::snprintf(buffer, sizeof buffer, ms < 10 ? "ok %.1fms" : "ok %.0fms", ms);
      return buffer;
    }
    case netcheck::TcpOutcome::timeout:
      return "TIMEOUT";
    case netcheck::TcpOutcome::refused:
      return "REFUSED";
    case netcheck::TcpOutcome::unreachable:
      return "UNREACH";
    case netcheck::TcpOutcome::error:
      return "ERROR";
  }
  return "ERROR";
}

std::string http_cell(const std::optional<HttpEvidence>& http) {
  if (!http) return "-";
  switch (http->outcome) {
    case netcheck::HttpOutcome::ok:
      return std::to_string(http->status);
    case netcheck::HttpOutcome::timeout:
      return "TIME";
    default:
      return "ERR";
  }
}

// The path through the proxy, as one row: "via proxy".
struct ProxyCells {
  std::string tcp, tls, http;
};

ProxyCells proxy_cells(const ProxyPathEvidence& path) {
  const std::string& stage = path.failed_stage;
  ProxyCells c;
  if (stage == "proxy-connect") return {"PROXY", "-", "-"};
  if (stage == "connect") {
    return {path.connect_status ? "CONN " + std::to_string(path.connect_status) : "CONN -", "-",
            "-"};
  }
  c.tcp = "CONN " + std::to_string(path.connect_status);
  if (stage == "tls") return {c.tcp, path.tls_verify_result ? "VERIFY" : "FAIL", "-"};
  c.tls = "ok";
  c.http = http_cell(path.http);
  return c;
}

std::string tls_cell(const AddressEvidence& a, const AddressVerdict* av) {
  if (!a.tls) return "-";
  switch (a.tls->outcome) {
    case netcheck::TlsOutcome::ok:
      break;
    case netcheck::TlsOutcome::timeout:
      return "TIMEOUT";
    case netcheck::TlsOutcome::protocol:
      return "PROTO";
    case netcheck::TlsOutcome::closed:
      return "CLOSED";
    case netcheck::TlsOutcome::error:
      return "ERROR";
  }
  if (a.tls->verify_errors.empty()) {
    std::string version = a.tls->version.empty() ? "ok" : a.tls->version;
    if (version.starts_with("TLSv")) version = "TLS" + version.substr(4);
    return version;
  }
  switch (av && av->cause ? *av->cause : Cause::tls_verify_failed) {
    case Cause::tls_untrusted:
      return "UNTRUSTED";
    case Cause::tls_hostname_mismatch:
      return "NAME";
    case Cause::tls_expired:
      return "EXPIRED";
    case Cause::tls_not_yet_valid:
      return "NOT-YET";
    default:
      return "VERIFY";
  }
}

std::string dns_cell(const TargetEvidence& te) {
  if (te.host_is_literal) return "-";
  if (!te.hosts.empty()) return "hosts";
  if (!te.dns) return "NONE";
  switch (te.dns->outcome) {
    case netcheck::DnsOutcome::ok:
      return "ok";
    case netcheck::DnsOutcome::nxdomain:
      return "NXDOMAIN";
    case netcheck::DnsOutcome::no_address:
      return "NODATA";
    case netcheck::DnsOutcome::servfail:
      return "SERVFAIL";
    case netcheck::DnsOutcome::refused:
      return "REFUSED";
    case netcheck::DnsOutcome::timeout:
      return "TIMEOUT";
    case netcheck::DnsOutcome::unreachable:
      return "UNREACH";
    case netcheck::DnsOutcome::skipped:
    case netcheck::DnsOutcome::error:
      break;
  }
  return "ERROR";
}

class Table {
 public:
  Table(std::vector<std::size_t> widths, std::size_t line_width)
      : widths_(std::move(widths)), line_width_(line_width) {
    std::size_t start = 0;
    for (const auto w : widths_) {
      starts_.push_back(start);
      start += w + 2;
    }
  }

  // Lays out one row. A cell wider than its column pushes the rest of the
  // row to the next line, under the right columns. The last cell is coloured.
  void row(std::vector<std::string>& out, const std::vector<std::string>& cells, bool color) {
    std::string line;
    for (std::size_t i = 0; i < cells.size() && i < widths_.size(); ++i) {
      std::string cell = clean(cells[i]);
      if (i > 0 && line.size() + 1 > starts_[i]) {
        out.push_back(trimmed(line));
        line.clear();
      }
      line.resize(starts_[i], ' ');
      const std::size_t room = line_width_ > starts_[i] ? line_width_ - starts_[i] : 0;
      if (cell.size() > room) cell.resize(room);
      line += cell;
      if (i + 1 == cells.size()) {
        line = trimmed(line);
        paint(line, starts_[i], cell, color);
      }
    }
    out.push_back(trimmed(line));
  }

 private:
  static std::string trimmed(std::string s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
  }
  std::vector<std::size_t> widths_;
  std::vector<std::size_t> starts_;
  std::size_t line_width_;
};

const TargetVerdict* verdict_for(const Verdict& verdict, std::size_t index,
                                 const TargetEvidence& te) {
  if (index < verdict.targets.size() && verdict.targets[index].service == te.target.service) {
    return &verdict.targets[index];
  }
  return nullptr;
}

const AddressVerdict* address_verdict(const TargetVerdict* tv, const std::string& ip) {
  if (!tv) return nullptr;
  for (const auto& a : tv->addresses) {
    if (a.ip == ip) return &a;
  }
  return nullptr;
}

// Packs header segments, two spaces apart, onto as few lines as fit.
void segments(std::vector<std::string>& out, const std::vector<std::string>& parts,
              std::size_t width) {
  std::string line;
  for (const auto& raw : parts) {
    const std::string part = clean(raw);
    if (!line.empty() && line.size() + 2 + part.size() <= width) {
      line += "  " + part;
      continue;
    }
    if (!line.empty()) out.push_back(line);
    line.clear();
    if (part.size() <= width) {
      line = part;
    } else {
      wrap_prose(out, part, "", 2, width);
    }
  }
  if (!line.empty()) out.push_back(line);
}

// "proxy http://10.0.4.4:3128 (amazon-ssm-agent.service.d/proxy.conf)",
// "no_proxy 169.254.169.254": separate segments, so each wraps whole.
std::vector<std::string> proxy_segments(const ProxyEvidence& proxy) {
  if (proxy.https_proxy.empty()) {
    return {proxy.source == "--no-proxy" ? "proxy: none (--no-proxy)" : "proxy: none"};
  }
  std::string source = proxy.source;
  // A unit file's path: its last two parts say enough.
  if (source.starts_with("/")) {
    const auto last = source.rfind('/');
    const auto before = last == 0 ? std::string::npos : source.rfind('/', last - 1);
    if (before != std::string::npos) source = source.substr(before + 1);
  }
  std::vector<std::string> out = {"proxy " + proxy.https_proxy +
                                  (source.empty() ? "" : " (" + source + ")")};
  if (!proxy.no_proxy.empty()) out.push_back("no_proxy " + proxy.no_proxy);
  return out;
}

std::string clock_segment(const std::optional<double>& offset) {
  if (*offset >= -2 && *offset <= 2) return "clock: in sync";
  return "clock: " + clock_offset_words(*offset) + (clock_skewed(offset) ? " (SKEWED)" : "");
}

// "role LabSsmRole, signed call ok": what the agent authenticates with.
std::string auth_segment(const Evidence& evidence, const Verdict& verdict) {
  std::string who;
  if (const auto& c = evidence.context.imds.credentials) {
    if (c->source == "instance-profile")
      who = "role " + c->role;
    else if (c->source == "default-host-management")
      who = "Default Host Management";
    else if (verdict.imds && verdict.imds->failed_layer() == Layer::imds)
      who = "credentials not read";  // unknown, not absent: IMDS's finding says why
    else
      who = "no credentials";
  }
  std::string call;
  if (const auto& s = evidence.signed_call; s && s->skipped.empty()) {
    const auto& http = s->http;
    call = http.outcome != netcheck::HttpOutcome::ok ? "signed call: no answer"
           : http.status >= 200 && http.status <= 299
               ? "signed call ok"
               : "signed call: " + (s->error_type.empty() ? "HTTP " + std::to_string(http.status)
                                                          : s->error_type);
  }
  if (who.empty() && call.empty()) return "";
  return "auth: " + who + (who.empty() || call.empty() ? "" : ", ") + call;
}

void header(std::vector<std::string>& out, const Evidence& evidence, const Verdict& verdict,
            std::size_t width) {
  const auto& c = evidence.context;
  std::vector<std::string> first = {"ssm-reach " + (c.tool_version.empty() ? "?" : c.tool_version)};
  std::string region = "region " + (c.region.empty() ? "unknown" : c.region.value);
  if (!c.region.empty() && !c.region.source.empty()) region += " (" + c.region.source + ")";
  first.push_back(region);
  if (!c.imds.attempted && !c.imds.skipped_by.empty()) {
    first.push_back("imds: off (" + c.imds.skipped_by + ")");
  }
  const auto& agent = c.agent;
  first.push_back(agent.version.known()
                      ? "agent " + agent.version.version + " (" + agent.version.source + ")"
                      : "agent: version unknown");
  segments(out, first, width);

  // Where this instance is, as IMDS said: "i-0abc in eu-west-1a  vpc-0abc (10.40.0.0/16)".
  const auto& facts = c.imds.facts;
  auto fact = [&facts](const std::string& key) {
    auto it = facts.find(key);
    return it == facts.end() ? std::string() : it->second;
  };
  std::vector<std::string> where;
  if (auto id = fact("meta-data/instance-id"); !id.empty()) {
    auto zone = fact("meta-data/placement/availability-zone");
    where.push_back(zone.empty() ? id : id + " in " + zone);
  }
  for (const auto& [key, value] : facts) {
    if (!key.ends_with("/vpc-id") || value.empty()) continue;
    const auto cidrs = vpc_cidrs_from_facts(facts);
    where.push_back(cidrs.empty() ? value : value + " (" + join(cidrs, ", ") + ")");
    break;
  }
  if (!where.empty()) segments(out, where, width);

  std::string resolver = "resolver ";
  if (c.resolvers.empty()) {
    resolver += "none" + (c.resolvers_error.empty() ? "" : " (" + c.resolvers_error + ")");
  } else {
    std::vector<std::string> servers;
    for (const auto& s : c.resolvers) {
      servers.push_back(s.port == 53 ? s.address.text : ip_port(s.address, s.port));
    }
    resolver += join(servers, ", ");
    if (!c.resolvers_source.empty()) resolver += " (" + c.resolvers_source + ")";
  }
  std::string trust = "trust: ";
  if (c.trust_store.embedded) {
    trust += c.trust_store.source;
  } else if (c.trust_store.path.empty()) {
    trust += "none" + (c.trust_store.error.empty() ? "" : " (" + c.trust_store.error + ")");
  } else {
    trust += c.trust_store.path;
    if (!c.trust_store.source.empty()) trust += " (" + c.trust_store.source + ")";
    if (!c.trust_store.usable()) trust += " UNUSABLE";
  }
  std::vector<std::string> second = {resolver};
  // The Amazon-provided resolver, asked for comparison with a custom one.
  if (!c.vpc_resolvers.empty()) {
    std::vector<std::string> ips;
    for (const auto& s : c.vpc_resolvers) ips.push_back(s.address.text);
    second.push_back("compared with VPC resolver " + join(ips, ", "));
  }
  second.push_back(trust);
  if (!agent.config.file.empty()) second.push_back("agent config " + agent.config.file);
  for (auto& segment : proxy_segments(c.proxy)) second.push_back(std::move(segment));
  // Known only when an endpoint answered with a Date.
  if (verdict.clock_offset_s) second.push_back(clock_segment(verdict.clock_offset_s));
  if (auto auth = auth_segment(evidence, verdict); !auth.empty()) second.push_back(auth);
  segments(out, second, width);
}

// The IMDS row: what its HTTP calls show (libcurl made the connections).
void imds_row(std::vector<std::string>& out, Table& t, const Evidence& evidence,
              const Verdict& verdict, const std::vector<std::string>& vpc_cidrs, bool color) {
  const auto& imds = evidence.context.imds;
  const std::string host = url_host_port(imds.endpoint).host;
  std::string address = host;
  if (const auto ip =
          netcheck::IpAddress{
              host.find(':') != std::string::npos ? netcheck::Family::v6 : netcheck::Family::v4,
              host};
      !host.empty()) {
    const std::string cls = classify_address(ip, vpc_cidrs);
    if (cls != "unknown") address += " " + short_class(cls);
  }
  const netcheck::HttpOutcome* first_failure = nullptr;
  bool answered = false;
  bool put_tried = false;
  for (const auto& call : imds.calls) {
    if (call.outcome == netcheck::HttpOutcome::ok) answered = true;
    if (call.outcome != netcheck::HttpOutcome::ok && !first_failure) {
      first_failure = &call.outcome;
    }
    if (call.method == "PUT") put_tried = true;
  }
  std::string tcp = "-";
  if (answered) {
    tcp = "ok";
  } else if (first_failure) {
    switch (*first_failure) {
      case netcheck::HttpOutcome::timeout:
        tcp = "TIMEOUT";
        break;
      case netcheck::HttpOutcome::refused:
        tcp = "REFUSED";
        break;
      case netcheck::HttpOutcome::unreachable:
        tcp = "UNREACH";
        break;
      default:
        tcp = "ERROR";
        break;
    }
  }
  std::string result = verdict.imds ? status_word(verdict.imds->status) : "-";
  if (put_tried && !imds.token_ok && answered) tcp = "NO TOKEN";
  std::string http = "-";
  // 200 when anything worked; else the first answer (401, 403, ...).
  for (const auto& call : imds.calls) {
    if (call.outcome != netcheck::HttpOutcome::ok) continue;
    if (http == "-" || call.status == 200) http = std::to_string(call.status);
    if (call.status == 200) break;
  }
  t.row(out, {"imds", address, "-", tcp, "-", http, result}, color);
}

// One row per address of each target (one "via proxy" row for a proxied one).
void target_rows(std::vector<std::string>& out, Table& t, const Evidence& evidence,
                 const Verdict& verdict, const std::vector<std::string>& vpc_cidrs, bool color) {
  for (std::size_t i = 0; i < evidence.targets.size(); ++i) {
    const auto& te = evidence.targets[i];
    const TargetVerdict* tv = verdict_for(verdict, i, te);
    const Status status = tv ? tv->status : Status::unknown;
    const std::string dns = dns_cell(te);
    bool first = true;
    if (te.proxy_path) {
      const ProxyCells cells = proxy_cells(*te.proxy_path);
      t.row(out,
            {te.target.service, "via proxy", "-", cells.tcp, cells.tls, cells.http,
             status_word(status)},
            color);
      first = false;
    } else if (te.addresses.empty()) {
      t.row(out, {te.target.service, "-", dns, "-", "-", "-", status_word(status)}, color);
      continue;
    }
    for (const auto& a : te.addresses) {
      const AddressVerdict* av = address_verdict(tv, a.ip.text);
      const std::string cls = av ? av->address_class : classify_address(a.ip, vpc_cidrs);
      std::string result;
      if (av && av->usable) {
        // The path works, but a signed call over it would not.
        result = tv && tv->failed_layer() == Layer::auth ? status_word(status) : "ok";
      } else if (av && av->ignored) {
        result = "no route";  // an IPv6 address without a route, harmless here
      } else if (te.proxy_path) {
        result = "-";  // direct, but the agent goes through the proxy
      } else {
        result = status_word(status);
      }
      t.row(out,
            {first ? te.target.service : "", a.ip.text + " " + short_class(cls), dns, tcp_cell(a),
             tls_cell(a, av), http_cell(a.http), result},
            color);
      first = false;
    }
  }
}

void table(std::vector<std::string>& out, const Evidence& evidence, const Verdict& verdict,
           const std::vector<std::string>& vpc_cidrs, std::size_t width, bool color) {
  const bool all_443 = std::all_of(evidence.targets.begin(), evidence.targets.end(),
                                   [](const auto& te) { return te.target.port == 443; });
  std::size_t target_width = 6;
  for (const auto& te : evidence.targets) {
    target_width = std::max(target_width, clean(te.target.service).size());
  }
  target_width = std::min<std::size_t>(target_width, 14);
  const std::size_t dns_w = 8, tcp_w = 9, tls_w = 9, http_w = 4, result_w = 8;
  const std::size_t fixed = target_width + dns_w + tcp_w + tls_w + http_w + result_w +
                            std::size_t{6} * 2;  // six gaps of two
  // ADDRESS takes what its cells need, up to what the line leaves; longer
  // cells (IPv6) push the rest of their row to the next line.
  std::size_t address_needed = 7;
  for (std::size_t i = 0; i < evidence.targets.size(); ++i) {
    const TargetVerdict* tv = verdict_for(verdict, i, evidence.targets[i]);
    for (const auto& a : evidence.targets[i].addresses) {
      const AddressVerdict* av = address_verdict(tv, a.ip.text);
      const std::string cls = av ? av->address_class : classify_address(a.ip, vpc_cidrs);
      address_needed = std::max(address_needed, a.ip.text.size() + 1 + short_class(cls).size());
    }
  }
  if (evidence.context.imds.attempted) {
    address_needed =
        std::max(address_needed, url_host_port(evidence.context.imds.endpoint).host.size() + 5);
  }
  const std::size_t address_width = width > fixed + 7 ? std::min(width - fixed, address_needed) : 7;

  Table t({target_width, address_width, dns_w, tcp_w, tls_w, http_w, result_w}, width);
  t.row(out, {"TARGET", "ADDRESS", "DNS", all_443 ? "TCP 443" : "TCP", "TLS", "HTTP", "RESULT"},
        false);

  if (evidence.context.imds.attempted) imds_row(out, t, evidence, verdict, vpc_cidrs, color);
  target_rows(out, t, evidence, verdict, vpc_cidrs, color);
}

void labelled(std::vector<std::string>& out, const std::string& label, const std::string& text,
              std::size_t width) {
  std::string first = "  " + label;
  first.resize(kLabelIndent, ' ');
  if (text.empty()) {
    out.push_back(first + "-");
    return;
  }
  wrap_prose(out, text, first, kLabelIndent, width);
}

// Remedy lines: prose, or a command when the line starts with "$ ".
void remedy_block(std::vector<std::string>& out, const std::string& remedy, std::size_t width) {
  std::string first = "  Fix:";
  first.resize(kLabelIndent, ' ');
  if (remedy.empty()) {
    out.push_back(first + "-");
    return;
  }
  std::size_t start = 0;
  bool is_first = true;
  while (start <= remedy.size()) {
    const auto end = remedy.find('\n', start);
    std::string_view line(remedy.data() + start,
                          (end == std::string::npos ? remedy.size() : end) - start);
    start = end == std::string::npos ? remedy.size() + 1 : end + 1;
    if (line.empty()) continue;
    std::string prefix = is_first ? first : std::string(kLabelIndent, ' ');
    is_first = false;
    if (line.starts_with("$ ")) {
      wrap_command(out, line.substr(2), prefix, kLabelIndent, width);
    } else {
      wrap_prose(out, line, prefix, kLabelIndent, width);
    }
  }
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// Targets that fail the same way for the same reason (one dead resolver
// breaks all three names) get one block, not three near-identical ones: at
// 80x24 on a serial console, repetition pushes the table off the screen.
bool same_problem(const TargetVerdict& a, const TargetVerdict& b) {
  if (a.status != b.status || a.cause != b.cause) return false;
  // b's texts in a's words: its host and its addresses (in order) as a's.
  auto as_a = [&](std::string text) {
    text = replace_all(std::move(text), b.host, a.host);
    for (std::size_t i = 0; i < a.addresses.size() && i < b.addresses.size(); ++i)
      text = replace_all(std::move(text), b.addresses[i].ip, a.addresses[i].ip);
    return text;
  };
  return as_a(b.headline) == a.headline && as_a(b.explanation) == a.explanation &&
         as_a(b.remedy) == a.remedy;
}

// "CRITICAL ssm: headline", then Why, Impact and Fix.
void problem_block(std::vector<std::string>& out, const TargetVerdict& tv,
                   const std::string& services, const std::string& impact, std::size_t width,
                   bool color) {
  out.emplace_back();
  const std::string word = status_word(tv.status);
  const std::size_t first_line = out.size();
  wrap_prose(out, word + " " + services + ": " + tv.headline, "", 2, width);
  paint(out[first_line], 0, word, color);
  labelled(out, "Why:", tv.explanation, width);
  labelled(out, "Impact:", impact, width);
  remedy_block(out, tv.remedy, width);
}

void problem_blocks(std::vector<std::string>& out, const Verdict& verdict, std::size_t width,
                    bool color) {
  if (verdict.imds && verdict.imds->status != Status::ok) {
    problem_block(out, *verdict.imds, verdict.imds->service, verdict.imds->impact, width, color);
  }
  std::vector<bool> shown(verdict.targets.size(), false);
  for (std::size_t i = 0; i < verdict.targets.size(); ++i) {
    const TargetVerdict& tv = verdict.targets[i];
    // A skipped target says why when a cause made it so (tls.trust-store).
    if (shown[i] || tv.status == Status::ok || (tv.status == Status::skipped && !tv.cause))
      continue;
    std::vector<const TargetVerdict*> group = {&tv};
    for (std::size_t j = i + 1; j < verdict.targets.size(); ++j) {
      if (!shown[j] && same_problem(tv, verdict.targets[j])) {
        group.push_back(&verdict.targets[j]);
        shown[j] = true;
      }
    }
    std::string services, impact;
    for (const auto* member : group) {
      services += (services.empty() ? "" : ", ") + member->service;
      // Without ssm nothing works, which says all there is to say.
      if (member->service == "ssm" || group.size() == 1) impact = member->impact;
    }
    if (impact.empty()) {
      for (const auto* member : group)
        if (!member->impact.empty())
          impact += (impact.empty() ? "" : " ") + member->service + ": " + member->impact;
    }
    problem_block(out, tv, services, impact, width, color);
  }
}

void summary(std::vector<std::string>& out, const Verdict& verdict, std::size_t width, bool color) {
  std::vector<std::string> failing;
  if (verdict.imds && verdict.imds->status == verdict.status) failing.push_back("imds");
  for (const auto& tv : verdict.targets) {
    if (tv.status == verdict.status) failing.push_back(tv.service);
  }
  const std::string services = join(failing, ", ");

  const std::string word = status_word(verdict.status);
  std::string text =
      "Result: " + word + " (exit " + std::to_string(exit_code(verdict.status)) + "): ";
  switch (verdict.status) {
    case Status::ok:
    case Status::skipped:
      text += "all " + std::to_string(verdict.targets.size()) +
              (verdict.targets.size() == 1 ? " target is" : " targets are") +
              " reachable from this instance.";
      break;
    case Status::warning:
      text += "required targets work; degraded: " + services + ".";
      break;
    case Status::critical:
      text += "not usable from this instance: " + services + ".";
      break;
    case Status::unknown:
      text += "the checks could not run completely; see the notes.";
      break;
  }
  out.emplace_back();
  const std::size_t first_line = out.size();
  wrap_prose(out, text, "", 2, width);
  paint(out[first_line], 8, word, color);
}

void notes(std::vector<std::string>& out, const Verdict& verdict, std::size_t width) {
  if (verdict.notes.empty()) return;
  out.emplace_back();
  out.emplace_back("Notes:");
  for (const auto& note : verdict.notes) wrap_prose(out, note, "  - ", 4, width);
}

}  // namespace

std::string render_text(const Evidence& evidence, const Verdict& verdict, TextStyle style,
                        const std::string& replay_of) {
  const std::size_t width = std::max<std::size_t>(
      kMinWidth, style.width > 0 ? static_cast<std::size_t>(style.width) : 80);
  const auto vpc_cidrs = vpc_cidrs_from_facts(evidence.context.imds.facts);

  std::vector<std::string> lines;
  if (!replay_of.empty()) {
    const auto& recorded = evidence.context.started_at;
    wrap_prose(lines,
               // No punctuation glued to the path: a long one is cut across
               // lines, and a line must not start with a stray comma.
               "Replay of " + replay_of + " (recorded " +
                   (recorded.empty() ? "at an unknown time" : recorded) +
                   "); nothing was checked now.",
               "", 2, width);
  }
  header(lines, evidence, verdict, width);
  lines.emplace_back();
  table(lines, evidence, verdict, vpc_cidrs, width, style.color);
  problem_blocks(lines, verdict, width, style.color);
  summary(lines, verdict, width, style.color);
  notes(lines, verdict, width);

  std::string out;
  for (const auto& line : lines) {
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace ssmreach
