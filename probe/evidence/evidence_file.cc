#include "probe/evidence/evidence_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <iomanip>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>
#include <type_traits>
#include <utility>
#include <vector>

#include "netcheck/unique_fd.h"
#include "probe/evidence/secret_fact.h"
#include "probe/util/atomic_file.h"
#include "probe/util/json_depth.h"
#include "probe/util/output_file.h"

namespace ssmreach {
namespace {

// Ordered, so the file reads top-down like the run: schema, context, targets.
using Json = nlohmann::ordered_json;

using netcheck::DnsOutcome;
using netcheck::HttpOutcome;
using netcheck::TcpOutcome;
using netcheck::TlsOutcome;

// Every value of each enum, so a name read back finds its value through the
// same to_string() that wrote it.
constexpr std::array kDnsOutcomes = {
    DnsOutcome::ok,          DnsOutcome::nxdomain, DnsOutcome::no_address,
    DnsOutcome::servfail,    DnsOutcome::refused,  DnsOutcome::timeout,
    DnsOutcome::unreachable, DnsOutcome::skipped,  DnsOutcome::error};
constexpr std::array kTcpOutcomes = {TcpOutcome::ok, TcpOutcome::timeout, TcpOutcome::refused,
                                     TcpOutcome::unreachable, TcpOutcome::error};
constexpr std::array kTlsOutcomes = {TlsOutcome::ok, TlsOutcome::timeout, TlsOutcome::protocol,
                                     TlsOutcome::closed, TlsOutcome::error};
constexpr std::array kHttpOutcomes = {HttpOutcome::ok, HttpOutcome::timeout, HttpOutcome::refused,
                                      HttpOutcome::unreachable, HttpOutcome::error};

std::span<const DnsOutcome> every(DnsOutcome) { return kDnsOutcomes; }
std::span<const TcpOutcome> every(TcpOutcome) { return kTcpOutcomes; }
std::span<const TlsOutcome> every(TlsOutcome) { return kTlsOutcomes; }
std::span<const HttpOutcome> every(HttpOutcome) { return kHttpOutcomes; }

// ---------------------------------------------------------------------------
// Reading errors: thrown only inside this file, turned into `error` by
// evidence_from_json.

struct ReadError {
  std::string message;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw ReadError{(path.empty() ? std::string("top level") : path) + ": " + what};
}

// A value from the file inside an error line: escaped to ASCII (no line
// breaks), cut when long.
std::string in_quotes(std::string_view text, char quote = '\'') {
  constexpr std::size_t kMax = 60;
  const bool cut = text.size() > kMax;
  const std::string dumped =
      Json(std::string(text.substr(0, kMax))).dump(-1, ' ', true, Json::error_handler_t::replace);
  return quote + dumped.substr(1, dumped.size() - 2) + (cut ? "..." : "") + quote;
}

std::string kind_of(const Json& json) {
  if (json.is_string()) return "a string";
  if (json.is_boolean()) return "a boolean";
  if (json.is_number_integer()) return "an integer";
  if (json.is_number()) return "a decimal number";
  if (json.is_array()) return "an array";
  if (json.is_object()) return "an object";
  return "null";
}

std::string expected(const char* what, const Json& found) {
  return std::string("expected ") + what + ", found " + kind_of(found);
}

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
// Maps keyed by name (IMDS facts, the agent's endpoints) are JSON objects.
template <class T>
struct IsNameMap : std::false_type {};
template <class T>
struct IsNameMap<std::map<std::string, T>> : std::true_type {};

// The two directions of every value: plain JSON values for scalars, arrays,
// string maps and optionals (null when absent); objects for structs, through
// their fields() below.
template <class T>
Json to_value(const T& value);
template <class T>
void from_value(const Json& json, const std::string& path, T& out);

struct Writer {
  Json& object;
  template <class T>
  void operator()(const char* key, const T& member) {
    object[key] = to_value(member);
  }
  template <class T>
  void added(const char* key, const T& member) {
    (*this)(key, member);
  }
};

// v(key, member): required. v.added(key, member): a member added after the
// first version of the format; absent in older files, so it keeps its
// default then. Fields this version does not know are ignored.
struct Reader {
  const Json& object;
  const std::string& path;
  template <class T>
  void operator()(const char* key, T& member) const {
    const auto it = object.find(key);
    if (it == object.end()) fail(child(key), "missing");
    from_value(*it, child(key), member);
  }
  template <class T>
  void added(const char* key, T& member) const {
    const auto it = object.find(key);
    if (it != object.end()) from_value(*it, child(key), member);
  }
  std::string child(const char* key) const { return path.empty() ? key : path + "." + key; }
};

// ---------------------------------------------------------------------------
// The mapping: one fields() per struct, used for writing (T const) and for
// reading. A new member of Evidence or of anything it holds belongs here
// (evidence_file_test.cc's member count says when one was added): as
// v.added() unless it is there from the start. Never a secret: see
// evidence_file.h.

template <class T, class Struct>
concept Is = std::same_as<std::remove_const_t<T>, Struct>;

template <class V, Is<Sourced> T>
void fields(V& v, T& s) {
  v("value", s.value);
  v("source", s.source);
}

template <class V, Is<netcheck::DnsServer> T>
void fields(V& v, T& s) {
  v("address", s.address);
  v("port", s.port);
}

template <class V, Is<netcheck::TrustStore> T>
void fields(V& v, T& s) {
  v("path", s.path);
  v("source", s.source);
  v("error", s.error);
  v.added("embedded", s.embedded);
}

template <class V, Is<ImdsCall> T>
void fields(V& v, T& c) {
  v("method", c.method);
  v("path", c.path);
  v("with_token", c.with_token);
  v("outcome", c.outcome);
  v("status", c.status);
  v("error", c.error);
  v("ms", c.ms);
  v.added("attempts", c.attempts);
  v.added("earlier", c.earlier);
  v.added("bad_answer", c.bad_answer);
}

// What the credentials were, never what they are: no key, secret or token.
template <class V, Is<CredentialEvidence> T>
void fields(V& v, T& c) {
  v("source", c.source);
  v("role", c.role);
  v("instance_profile_arn", c.instance_profile_arn);
  v("code", c.code);
  v("last_updated", c.last_updated);
  v("expiration", c.expiration);
  v("error", c.error);
}

template <class V, Is<ImdsEvidence> T>
void fields(V& v, T& i) {
  v("attempted", i.attempted);
  v("endpoint", i.endpoint);
  v("skipped_by", i.skipped_by);
  v("token_ok", i.token_ok);
  v("v1_used", i.v1_used);
  v("calls", i.calls);
  v("facts", i.facts);
  v.added("credentials", i.credentials);
  v.added("endpoint_source", i.endpoint_source);
  v.added("endpoint_note", i.endpoint_note);
}

template <class V, Is<netcheck::HostPort> T>
void fields(V& v, T& h) {
  v("host", h.host);
  v("port", h.port);
}

template <class V, Is<AgentSetting> T>
void fields(V& v, T& s) {
  v("value", s.value);
  v("key", s.key);
  v("file", s.file);
}

template <class V, Is<AgentEndpoint> T>
void fields(V& v, T& e) {
  v("service", e.service);
  v("setting", e.setting);
  v("host_port", e.host_port);
}

template <class V, Is<AgentConfig> T>
void fields(V& v, T& c) {
  v("file", c.file);
  v("region", c.region);
  v("service_domain", c.service_domain);
  v("mgs_region", c.mgs_region);
  v("endpoints", c.endpoints);
  v("warnings", c.warnings);
  v.added("use_dualstack", c.use_dualstack);
}

template <class V, Is<AgentRegistration> T>
void fields(V& v, T& r) {
  v("file", r.file);
  v("present", r.present);
  v("managed_instance_id", r.managed_instance_id);
  v("region", r.region);
  v("warnings", r.warnings);
}

template <class V, Is<AgentVersion> T>
void fields(V& v, T& a) {
  v("version", a.version);
  v("source", a.source);
  v("path", a.path);
  v("components", a.components);
  v("notes", a.notes);
}

template <class V, Is<AgentEvidence> T>
void fields(V& v, T& a) {
  v("config", a.config);
  v("registration", a.registration);
  v("version", a.version);
}

template <class V, Is<NamingChoice> T>
void fields(V& v, T& n) {
  v("on", n.on);
  v("source", n.source);
}

template <class V, Is<EndpointNaming> T>
void fields(V& v, T& n) {
  v("dualstack", n.dualstack);
  v("fips", n.fips);
  v("notes", n.notes);
}

template <class V, Is<RunContext> T>
void fields(V& v, T& c) {
  v("tool_version", c.tool_version);
  v("started_at", c.started_at);
  v("timeout_s", c.timeout_s);
  v("region", c.region);
  v("partition_suffix", c.partition_suffix);
  v("resolvers", c.resolvers);
  v("resolvers_source", c.resolvers_source);
  v("resolvers_error", c.resolvers_error);
  v("trust_store", c.trust_store);
  v("imds", c.imds);
  v.added("vpc_resolvers", c.vpc_resolvers);
  v.added("agent", c.agent);
  v.added("proxy", c.proxy);
  v.added("deadline_s", c.deadline_s);
  v.added("deadline_reached", c.deadline_reached);
  v.added("naming", c.naming);
}

template <class V, Is<ProxyEvidence> T>
void fields(V& v, T& p) {
  v("https_proxy", p.https_proxy);
  v("http_proxy", p.http_proxy);
  v("no_proxy", p.no_proxy);
  v("https_proxy_has_credentials", p.https_proxy_has_credentials);
  v("http_proxy_has_credentials", p.http_proxy_has_credentials);
  v("source", p.source);
  v("notes", p.notes);
}

template <class V, Is<HttpEvidence> T>
void fields(V& v, T& h) {
  v("outcome", h.outcome);
  v("status", h.status);
  v("request_id", h.request_id);
  v("date", h.date);
  v("clock_offset_s", h.clock_offset_s);
  v("error", h.error);
  v("ms", h.ms);
}

template <class V, Is<ProxyPathEvidence> T>
void fields(V& v, T& p) {
  v("proxy", p.proxy);
  v("failed_stage", p.failed_stage);
  v("connect_status", p.connect_status);
  v("tls_verify_result", p.tls_verify_result);
  v("http", p.http);
}

template <class V, Is<SignedCallEvidence> T>
void fields(V& v, T& s) {
  v("skipped", s.skipped);
  v("via", s.via);
  v("credentials_source", s.credentials_source);
  v("http", s.http);
  v("error_type", s.error_type);
  v("error_message", s.error_message);
}

template <class V, Is<netcheck::ServerAnswer> T>
void fields(V& v, T& a) {
  v("server", a.server);
  v("outcome", a.outcome);
  v("outcome_a", a.outcome_a);
  v("outcome_aaaa", a.outcome_aaaa);
  v("addresses", a.addresses);
  v("error", a.error);
  v("ms", a.ms);
}

template <class V, Is<netcheck::DnsResult> T>
void fields(V& v, T& d) {
  v("name", d.name);
  v("outcome", d.outcome);
  v("addresses", d.addresses);
  v("answered_by", d.answered_by);
  v("servers", d.servers);
  v("ms", d.ms);
}

template <class V, Is<netcheck::TcpResult> T>
void fields(V& v, T& t) {
  v("address", t.address);
  v("port", t.port);
  v("outcome", t.outcome);
  v("errno_name", t.errno_name);
  v("ms", t.ms);
}

template <class V, Is<netcheck::VerifyError> T>
void fields(V& v, T& e) {
  v("code", e.code);
  v("depth", e.depth);
  v("text", e.text);
}

template <class V, Is<netcheck::TlsResult> T>
void fields(V& v, T& t) {
  v("server_name", t.server_name);
  v("outcome", t.outcome);
  v("version", t.version);
  v("cipher", t.cipher);
  v("subject", t.subject);
  v("issuer", t.issuer);
  v("issuer_cn", t.issuer_cn);
  v("sans", t.sans);
  v("not_before", t.not_before);
  v("not_after", t.not_after);
  v("verify_errors", t.verify_errors);
  v("error", t.error);
  v("ms", t.ms);
}

template <class V, Is<AddressEvidence> T>
void fields(V& v, T& a) {
  v("ip", a.ip);
  v("source", a.source);
  v("tcp", a.tcp);
  v("tls", a.tls);
  v.added("http", a.http);
}

template <class V, Is<Target> T>
void fields(V& v, T& t) {
  v("service", t.service);
  v("host", t.host);
  v("port", t.port);
  v("required", t.required);
  v("host_source", t.host_source);
}

template <class V, Is<TargetEvidence> T>
void fields(V& v, T& t) {
  v("target", t.target);
  v("host_is_literal", t.host_is_literal);
  v("hosts", t.hosts);
  v("dns", t.dns);
  v.added("vpc_dns", t.vpc_dns);
  v("addresses", t.addresses);
  v.added("proxy_path", t.proxy_path);
  v.added("no_proxy_match", t.no_proxy_match);
}

template <class V, Is<Evidence> T>
void fields(V& v, T& e) {
  v("context", e.context);
  v("targets", e.targets);
  v.added("signed_call", e.signed_call);
  v("elapsed_ms", e.elapsed_ms);
}

// ---------------------------------------------------------------------------

template <class T>
T integer_from(const Json& json, const std::string& path) {
  if (!json.is_number_integer()) fail(path, expected("an integer", json));
  const bool fits = json.is_number_unsigned() ? std::in_range<T>(json.get<std::uint64_t>())
                                              : std::in_range<T>(json.get<std::int64_t>());
  if (!fits)
    fail(path, json.dump() + " is out of range (" + std::to_string(std::numeric_limits<T>::min()) +
                   " to " + std::to_string(std::numeric_limits<T>::max()) + ")");
  return json.is_number_unsigned() ? static_cast<T>(json.get<std::uint64_t>())
                                   : static_cast<T>(json.get<std::int64_t>());
}

// What a number of the file may be: a run's times cannot pass its limits
// (--timeout 300 s, --deadline 3600 s, --boot-wait 600 s), so 1e308 in
// elapsed_ms is not a record of a run, and printing it would overflow.
struct NumberRange {
  std::string_view key;
  double low, high;
};
// A step's ms may be a little below 0: an IMDS retry the deadline cut
// before it began is recorded from its planned start.
constexpr NumberRange kNumberRanges[] = {
    {"ms", -1e7, 1e7},        {"elapsed_ms", 0, 1e7},          {"timeout_s", 0, 3600},
    {"deadline_s", 0, 86400}, {"clock_offset_s", -1e10, 1e10},  // 317 years either way
};
constexpr NumberRange kOtherNumbers = {"", -1e10, 1e10};

void check_range(const std::string& path, const Json& json, double value) {
  const auto dot = path.rfind('.');
  const std::string_view key =
      dot == std::string::npos ? std::string_view(path) : std::string_view(path).substr(dot + 1);
  NumberRange range = kOtherNumbers;
  for (const auto& r : kNumberRanges)
    if (r.key == key) range = r;
  if (std::isfinite(value) && value >= range.low && value <= range.high) return;
  std::ostringstream limits;
  limits << std::fixed << std::setprecision(0) << range.low << " to " << range.high;
  fail(path, json.dump() + " is out of range (" + limits.str() + ")");
}

template <class E>
std::string names_of() {
  std::string names;
  for (E value : every(E{})) names += (names.empty() ? "" : ", ") + std::string(to_string(value));
  return names;
}

template <class T>
Json to_value(const T& value) {
  if constexpr (std::is_same_v<T, std::string> || std::is_integral_v<T>) {
    return value;
  } else if constexpr (std::is_floating_point_v<T>) {
    return std::isfinite(value) ? Json(value) : Json(nullptr);  // JSON has no NaN
  } else if constexpr (std::is_enum_v<T>) {
    return to_string(value);
  } else if constexpr (std::is_same_v<T, netcheck::IpAddress>) {
    return value.text;  // the family follows from the text
  } else if constexpr (IsOptional<T>::value) {
    return value ? to_value(*value) : Json(nullptr);
  } else if constexpr (IsVector<T>::value) {
    Json array = Json::array();
    for (const auto& item : value) array.push_back(to_value(item));
    return array;
  } else if constexpr (IsNameMap<T>::value) {
    Json object = Json::object();
    for (const auto& [key, item] : value) object[key] = to_value(item);
    return object;
  } else {
    Json object = Json::object();
    Writer writer{object};
    fields(writer, value);
    return object;
  }
}

template <class T>
void from_value(const Json& json, const std::string& path, T& out) {
  if constexpr (std::is_same_v<T, std::string>) {
    if (!json.is_string()) fail(path, expected("a string", json));
    out = json.template get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!json.is_boolean()) fail(path, expected("true or false", json));
    out = json.template get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    out = integer_from<T>(json, path);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (json.is_null()) {
      out = std::numeric_limits<T>::quiet_NaN();  // how a non-finite value was written
    } else {
      if (!json.is_number()) fail(path, expected("a number", json));
      out = json.template get<T>();
      check_range(path, json, static_cast<double>(out));
    }
  } else if constexpr (std::is_enum_v<T>) {
    std::string name;
    from_value(json, path, name);
    for (T value : every(T{})) {
      if (name == to_string(value)) {
        out = value;
        return;
      }
    }
    fail(path, "unknown value " + in_quotes(name) + " (expected one of " + names_of<T>() + ")");
  } else if constexpr (std::is_same_v<T, netcheck::IpAddress>) {
    std::string text;
    from_value(json, path, text);
    if (text.empty()) {
      out = {};
      return;
    }
    const auto ip = netcheck::parse_ip(text);
    if (!ip) fail(path, in_quotes(text) + " is not an IP address");
    out = {ip->family, text};  // as written, not re-canonicalised: lossless
  } else if constexpr (IsOptional<T>::value) {
    if (json.is_null()) {
      out.reset();
    } else {
      typename T::value_type value{};
      from_value(json, path, value);
      out = std::move(value);
    }
  } else if constexpr (IsVector<T>::value) {
    if (!json.is_array()) fail(path, expected("an array", json));
    out.clear();
    for (std::size_t i = 0; i < json.size(); ++i) {
      typename T::value_type item{};
      from_value(json[i], path + "[" + std::to_string(i) + "]", item);
      out.push_back(std::move(item));
    }
  } else if constexpr (IsNameMap<T>::value) {
    if (!json.is_object()) fail(path, expected("an object", json));
    out.clear();
    for (const auto& [key, item] : json.items()) {
      from_value(item, path + "[" + in_quotes(key, '"') + "]", out[key]);
    }
  } else {
    if (!json.is_object()) fail(path, expected("an object", json));
    Reader reader{json, path};
    fields(reader, out);
  }
}

void check_schema(const Json& document) {
  if (!document.is_object()) fail("", expected("an object", document));
  const auto schema = document.find("schema");
  if (schema == document.end()) fail("schema", "missing: this is not an ssm-reach evidence file");
  if (!schema->is_string()) fail("schema", expected("a string", *schema));
  const auto name = schema->get<std::string>();
  if (name == kEvidenceSchema) return;
  if (name.starts_with("ssm-reach/"))
    fail("schema",
         in_quotes(name) + " is a report, not evidence; save evidence with --save-evidence");
  fail("schema", in_quotes(name) + " is not supported (this ssm-reach reads " +
                     std::string(kEvidenceSchema) + ")");
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

void set_error(std::string* error, std::string text) {
  if (error) *error = one_line(std::move(text));
}

std::string system_error(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

// The credential evidence holds no secret by construction (imds_credentials);
// should a field ever look like an IMDS credentials answer, it is dropped
// like such a fact.
void drop_secret_looking(CredentialEvidence& c) {
  for (std::string* field : {&c.source, &c.role, &c.instance_profile_arn, &c.code, &c.last_updated,
                             &c.expiration, &c.error}) {
    if (is_secret_fact("", *field)) field->clear();
  }
}

}  // namespace

std::string evidence_to_json(const Evidence& evidence) {
  Evidence without_secrets = evidence;
  std::erase_if(without_secrets.context.imds.facts,
                [](const auto& fact) { return is_secret_fact(fact.first, fact.second); });
  if (auto& credentials = without_secrets.context.imds.credentials)
    drop_secret_looking(*credentials);
  Json document = Json::object();
  document["schema"] = std::string(kEvidenceSchema);
  Writer writer{document};
  fields(writer, without_secrets);
  // Certificate names and error texts may hold bytes that are not UTF-8.
  return document.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::optional<Evidence> evidence_from_json(std::string_view text, std::string* error) {
  try {
    if (json_nested_too_deeply(text)) {
      set_error(error, std::string("not read: ") + json_too_deep_text());
      return std::nullopt;
    }
    const Json document = Json::parse(text.begin(), text.end());
    check_schema(document);
    Evidence evidence;
    from_value(document, "", evidence);
    return evidence;
  } catch (const Json::parse_error& e) {
    // nlohmann's words without its "[json.exception.parse_error.101] " tag.
    std::string what = e.what();
    if (const auto tag_end = what.find("] "); what.starts_with("[json") && tag_end != what.npos)
      what.erase(0, tag_end + 2);
    set_error(error, "not JSON: " + what);
  } catch (const ReadError& e) {
    set_error(error, e.message);
  } catch (const std::exception& e) {
    set_error(error, std::string("cannot read evidence: ") + e.what());
  }
  return std::nullopt;
}

bool save_evidence_file(const std::string& path, const Evidence& evidence, std::string* error) {
  std::string text;
  try {
    text = evidence_to_json(evidence);
  } catch (const std::exception& e) {
    set_error(error, path + ": " + e.what());
    return false;
  }
  std::string write_error;
  if (!write_file_atomically(path, text, std::nullopt, &write_error)) {
    set_error(error, std::move(write_error));
    return false;
  }
  return true;
}

std::optional<Evidence> load_evidence_file(const std::string& path, std::string* error) {
  // Far above any real run (a few hundred KiB); stops a wrong file (a disk
  // image, /dev/zero) from filling memory and the parser from taking
  // seconds. O_NONBLOCK: a FIFO must not hang explain; it is refused below.
  constexpr std::size_t kMaxBytes = kMaxEvidenceFileBytes;
  netcheck::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) {
    set_error(error, system_error(path, errno));
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    set_error(error, system_error(path, errno));
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    set_error(error, path + ": is " + file_kind_text(st.st_mode) +
                         ", not a regular file; explain reads evidence files");
    return std::nullopt;
  }
  const std::string too_large = path + ": larger than 8 MiB, the limit for an evidence file";
  if (static_cast<std::uint64_t>(st.st_size) > kMaxBytes) {
    set_error(error, too_large);
    return std::nullopt;
  }
  std::string text;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      set_error(error, system_error(path, errno));
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > kMaxBytes) {  // it grew while read
      set_error(error, too_large);
      return std::nullopt;
    }
  }
  std::string parse_error;
  auto evidence = evidence_from_json(text, &parse_error);
  if (!evidence) set_error(error, path + ": " + parse_error);
  return evidence;
}

}  // namespace ssmreach
