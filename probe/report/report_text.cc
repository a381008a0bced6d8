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

#include "probe/evidence/address_class.h"
#include "probe/report/report.h"
#include "probe/util/text_util.h"

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

// The words a command is laid out in: with `pair`, "--option value" is one
// word when it fits on a continuation line.
std::vector<std::string> command_words(const std::vector<std::string>& shell_words, bool pair,
                                       std::size_t continuation, std::size_t width) {
  std::vector<std::string> words;
  for (std::size_t i = 0; i < shell_words.size(); ++i) {
    const std::string& word = shell_words[i];
    const bool option =
        word.starts_with("-") && i + 1 < shell_words.size() && !shell_words[i + 1].starts_with("-");
    if (pair && option && continuation + word.size() + 1 + shell_words[i + 1].size() + 2 <= width) {
      words.push_back(word + " " + shell_words[i + 1]);
      ++i;
    } else {
      words.push_back(word);
    }
  }
  return words;
}

// The lines of a command made of `words` (see wrap_command).
std::vector<std::string> command_lines(const std::vector<std::string>& words, std::string first,
                                       std::size_t indent, std::size_t width) {
  const std::size_t continuation = indent + 2;
  std::vector<std::string> out;
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
  return out;
}

// Wraps a shell command so that it still runs when pasted: lines end with
// " \" and continue two columns deeper. A single word longer than a line is
// split with a bare "\" and continues at column 0, because indentation would
// otherwise become part of the word. "--option value" stays on one line
// unless that costs the command a line (on a 24-line console lines count).
void wrap_command(std::vector<std::string>& out, std::string_view command, const std::string& first,
                  std::size_t indent, std::size_t width) {
  const auto shell_words = split_words(clean(command), /*keep_quotes=*/true);
  auto paired =
      command_lines(command_words(shell_words, true, indent + 2, width), first, indent, width);
  auto loose =
      command_lines(command_words(shell_words, false, indent + 2, width), first, indent, width);
  auto& lines = loose.size() < paired.size() ? loose : paired;
  for (auto& line : lines) out.push_back(std::move(line));
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

// The words of the table's cells (the diagnosis decided what they say).
const char* failure_word(CellStatus status) {
  switch (status) {
    case CellStatus::none:
      return "-";
    case CellStatus::ok:
      return "ok";
    case CellStatus::hosts:
      return "hosts";
    case CellStatus::no_answer:
      return "NONE";
    case CellStatus::nxdomain:
      return "NXDOMAIN";
    case CellStatus::no_data:
      return "NODATA";
    case CellStatus::servfail:
      return "SERVFAIL";
    case CellStatus::refused:
      return "REFUSED";
    case CellStatus::timeout:
      return "TIMEOUT";
    case CellStatus::unreachable:
      return "UNREACH";
    case CellStatus::error:
      return "ERROR";
    case CellStatus::no_token:
      return "NO TOKEN";
    case CellStatus::proxy_failed:
      return "PROXY";
    case CellStatus::proxy_connect:
      return "CONN";
    case CellStatus::protocol:
      return "PROTO";
    case CellStatus::closed:
      return "CLOSED";
    case CellStatus::untrusted:
      return "UNTRUSTED";
    case CellStatus::name_mismatch:
      return "NAME";
    case CellStatus::expired:
      return "EXPIRED";
    case CellStatus::not_yet_valid:
      return "NOT-YET";
    case CellStatus::verify_failed:
      return "VERIFY";
    case CellStatus::handshake_failed:
      return "FAIL";
  }
  return "ERROR";
}

// "ok 0.8ms", "ok 12ms", "ok 12s".
std::string tcp_word(const Cell& cell) {
  if (cell.status != CellStatus::ok || !cell.ms) return failure_word(cell.status);
  char buffer[32];
  const double ms = std::max(0.0, *cell.ms);  // never below 0 on a connection made
  // Within the column's 9 characters: an evidence file's times are within
  // 1e7 ms (evidence_file.cc), "ok 10000s".
  if (ms >= 9999.5)
    std::snprintf(buffer, sizeof buffer, "ok %.0fs", ms / 1000);
  else
    std::snprintf(buffer, sizeof buffer, ms < 10 ? "ok %.1fms" : "ok %.0fms", ms);
  return buffer;
}

// "TLS1.3", or "ok" when the version is unknown.
std::string tls_word(const Cell& cell) {
  if (cell.status != CellStatus::ok || cell.value.empty()) return failure_word(cell.status);
  return cell.value.starts_with("TLSv") ? "TLS" + cell.value.substr(4) : cell.value;
}

// The status code, "TIME" or "ERR" (the column is four wide).
std::string http_word(const Cell& cell) {
  switch (cell.status) {
    case CellStatus::ok:
      return cell.value;
    case CellStatus::none:
      return "-";
    case CellStatus::timeout:
      return "TIME";
    default:
      return "ERR";
  }
}

// CONNECT through the proxy: "CONN 200", "CONN 403", "PROXY".
std::string connect_word(const Cell& cell) {
  if (cell.status == CellStatus::proxy_failed) return failure_word(cell.status);
  return "CONN " + (cell.value.empty() ? std::string("-") : cell.value);
}

std::string result_word(const RowResult& result) {
  switch (result.kind) {
    case RowResult::Kind::no_route:
      return "no route";
    case RowResult::Kind::not_used:
      return "-";
    case RowResult::Kind::status:
      break;
  }
  return status_word(result.status);
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

// "names: dual-stack (Agent.UseDualStackEndpoint)": only when something
// chose the endpoint names (a stock run shows nothing).
std::string naming_segment(const EndpointNaming& naming) {
  // A config file's source "/etc/.../amazon-ssm-agent.json (Agent.X)" says
  // enough by its key.
  auto who = [](const std::string& source) {
    const auto open = source.rfind(" (");
    return open != std::string::npos && source.ends_with(")")
               ? source.substr(open + 2, source.size() - open - 3)
               : source;
  };
  std::vector<std::string> kinds, sources;
  if (naming.fips.on) kinds.push_back("FIPS");
  kinds.push_back(naming.dualstack.on ? "dual-stack" : "IPv4-only");
  for (const auto* choice : {&naming.fips, &naming.dualstack})
    if (!choice->source.empty()) sources.push_back(who(choice->source));
  if (sources.empty()) return "";
  return "names: " + join(kinds, ", ") + " (" + join(sources, ", ") + ")";
}

void header(std::vector<std::string>& out, const Evidence& evidence, const Verdict& verdict,
            std::size_t width) {
  const auto& c = evidence.context;
  std::vector<std::string> first = {"ssm-reach " + (c.tool_version.empty() ? "?" : c.tool_version)};
  std::string region = "region " + (c.region.empty() ? "unknown" : c.region.value);
  if (!c.region.empty() && !c.region.source.empty()) region += " (" + c.region.source + ")";
  first.push_back(region);
  if (auto names = naming_segment(c.naming); !names.empty()) first.push_back(names);
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
  if (!agent.config.file.empty()) second.push_back("agent config " + agent.config.file);
  for (auto& segment : proxy_segments(c.proxy)) second.push_back(std::move(segment));
  // Known only when an endpoint answered with a Date.
  if (verdict.clock_offset_s) second.push_back(clock_segment(verdict.clock_offset_s));
  if (auto auth = auth_segment(evidence, verdict); !auth.empty()) second.push_back(auth);
  // Last: a trust store's path is long and rarely the news; the shorter
  // segments then share lines (a line less on a 24-line console).
  second.push_back(trust);
  segments(out, second, width);
}

// "10.40.1.10 vpc": an address and its class (none when unknown).
std::string address_cell(const std::string& ip, const std::string& cls) {
  return cls.empty() || cls == "unknown" ? ip : ip + " " + short_class(cls);
}

// The IMDS row: what its HTTP calls showed (libcurl made the connections).
void imds_row(std::vector<std::string>& out, Table& t, const ImdsSummary& imds,
              const std::optional<TargetVerdict>& tv, bool color) {
  t.row(out,
        {"imds", address_cell(imds.ip, imds.address_class), "-", failure_word(imds.tcp.status), "-",
         http_word(imds.http), tv ? status_word(tv->status) : "-"},
        color);
}

// One row per address of each target (one "via proxy" row for a proxied one).
void target_rows(std::vector<std::string>& out, Table& t, const Verdict& verdict, bool color) {
  for (const auto& tv : verdict.targets) {
    const std::string dns = failure_word(tv.dns.status);
    bool first = true;
    if (tv.proxy_row) {
      const ProxyRow& p = *tv.proxy_row;
      t.row(out,
            {tv.service, "via proxy", "-", connect_word(p.tcp), tls_word(p.tls), http_word(p.http),
             status_word(tv.status)},
            color);
      first = false;
    } else if (tv.addresses.empty()) {
      t.row(out, {tv.service, "-", dns, "-", "-", "-", status_word(tv.status)}, color);
      continue;
    }
    for (const auto& a : tv.addresses) {
      t.row(out,
            {first ? tv.service : "", address_cell(a.ip, a.address_class), dns, tcp_word(a.tcp),
             tls_word(a.tls), http_word(a.http), result_word(a.result)},
            color);
      first = false;
    }
  }
}

void table(std::vector<std::string>& out, const Verdict& verdict, std::size_t width, bool color) {
  const bool all_443 = std::all_of(verdict.targets.begin(), verdict.targets.end(),
                                   [](const auto& tv) { return tv.port == 443; });
  std::size_t target_width = 6;
  for (const auto& tv : verdict.targets) {
    target_width = std::max(target_width, clean(tv.service).size());
  }
  target_width = std::min<std::size_t>(target_width, 14);
  const std::size_t dns_w = 8, tcp_w = 9, tls_w = 9, http_w = 4, result_w = 8;
  const std::size_t fixed = target_width + dns_w + tcp_w + tls_w + http_w + result_w +
                            std::size_t{6} * 2;  // six gaps of two
  // ADDRESS takes what its cells need, up to what the line leaves; longer
  // cells (IPv6) push the rest of their row to the next line.
  std::size_t address_needed = 7;
  for (const auto& tv : verdict.targets) {
    for (const auto& a : tv.addresses) {
      address_needed = std::max(address_needed, address_cell(a.ip, a.address_class).size());
    }
  }
  if (verdict.imds_summary) {
    address_needed = std::max(address_needed, verdict.imds_summary->ip.size() + 5);
  }
  const std::size_t address_width = width > fixed + 7 ? std::min(width - fixed, address_needed) : 7;

  Table t({target_width, address_width, dns_w, tcp_w, tls_w, http_w, result_w}, width);
  t.row(out, {"TARGET", "ADDRESS", "DNS", all_443 ? "TCP 443" : "TCP", "TLS", "HTTP", "RESULT"},
        false);

  if (verdict.imds_summary) imds_row(out, t, *verdict.imds_summary, verdict.imds, color);
  target_rows(out, t, verdict, color);
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

// "CRITICAL ssm, ssmmessages: headline", then the fix, why and what breaks.
// The fix comes right after the headline: on an 80x24 serial console the
// first screen must hold what to do, and the explanation can follow it.
void problem_block(std::vector<std::string>& out, const Problem& problem, std::size_t width,
                   bool color, bool first) {
  // The first follows the summary line, which introduces it.
  if (!first) out.emplace_back();
  const std::string word = status_word(problem.status);
  const std::size_t first_line = out.size();
  wrap_prose(out, word + " " + join(problem.services, ", ") + ": " + problem.headline, "", 2,
             width);
  paint(out[first_line], 0, word, color);
  remedy_block(out, problem.remedy, width);
  labelled(out, "Why:", problem.explanation, width);
  labelled(out, "Impact:", problem.impact, width);
}

// "3 of 3 services blocked: ...": the verdict in one line, before the blocks.
void summary_line(std::vector<std::string>& out, const Verdict& verdict, std::size_t width) {
  if (verdict.summary.empty()) return;
  out.emplace_back();
  wrap_prose(out, verdict.summary, "", 2, width);
}

void result_line(std::vector<std::string>& out, const Verdict& verdict, std::size_t width,
                 bool color) {
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
  table(lines, verdict, width, style.color);
  summary_line(lines, verdict, width);
  for (std::size_t i = 0; i < verdict.problems.size(); ++i)
    problem_block(lines, verdict.problems[i], width, style.color,
                  i == 0 && !verdict.summary.empty());
  result_line(lines, verdict, width, style.color);
  notes(lines, verdict, width);

  std::string out;
  for (const auto& line : lines) {
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace ssmreach
