#include "probe/report/report_prometheus.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <utility>
#include <vector>

#include "probe/util/text_util.h"

namespace ssmreach {
namespace {

using Labels = std::vector<std::pair<const char*, std::string>>;

// A label value as the exposition format writes it: \, " and newline escaped.
std::string escaped(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// Six significant digits ("0.0413", "0.0008", "1717243200", "-1"): the
// clocks measured are not finer. Seventeen for large values (Unix times).
// printf's %g, not std::to_chars: the same digits, and the static release
// would carry libstdc++'s float-to-text tables (118 KB) for this one line.
std::string number(double value) {
  if (!std::isfinite(value)) return std::isnan(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
  char text[32];
  const int precision = value >= 1e6 || value <= -1e6 ? 17 : 6;
  const int length = std::snprintf(text, sizeof text, "%.*g", precision, value);
  return std::string(text, static_cast<std::size_t>(length));
}

// One metric family at a time: HELP and TYPE once, then its samples. A
// family without samples writes nothing.
class Exposition {
 public:
  void family(const char* name, const char* help) {
    name_ = name;
    help_ = help;
    header_written_ = false;
  }

  void sample(const Labels& labels, double value) {
    if (!header_written_) {
      out_ += std::string("# HELP ") + name_ + " " + help_ + "\n";
      out_ += std::string("# TYPE ") + name_ + " gauge\n";
      header_written_ = true;
    }
    out_ += name_;
    if (!labels.empty()) {
      out_ += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) out_ += ',';
        out_ += std::string(labels[i].first) + "=\"" + escaped(labels[i].second) + "\"";
      }
      out_ += '}';
    }
    out_ += " " + number(value) + "\n";
  }

  std::string take() { return std::move(out_); }

 private:
  const char* name_ = "";
  const char* help_ = "";
  bool header_written_ = false;
  std::string out_;
};

std::string cause_label(const std::optional<Cause>& cause) {
  return cause ? to_string(*cause) : "";
}

std::string layer_label(const std::optional<Cause>& cause) {
  return cause ? to_string(layer_of(*cause)) : "";
}

// One target of the verdict with its evidence (none for IMDS, whose
// evidence is the run context's).
struct TargetView {
  const TargetVerdict& verdict;
  const TargetEvidence* evidence;
};

// The layers of a target's path, in the contract's order: IMDS is one
// request layer; an endpoint has DNS, TCP, TLS and HTTP, the proxy when the
// agent goes through one, auth where the signed call went. The failed layer
// is always among them.
std::vector<Layer> path_layers(const TargetView& target, bool signed_call_made) {
  std::vector<Layer> layers;
  if (!target.evidence) {
    layers = {Layer::imds};
  } else {
    layers = {Layer::dns, Layer::tcp, Layer::tls, Layer::http};
    if (target.evidence->proxy_path) layers.push_back(Layer::proxy);
    if (target.verdict.service == "ssm" && signed_call_made) layers.push_back(Layer::auth);
  }
  if (auto failed = target.verdict.failed_layer();
      failed && std::find(layers.begin(), layers.end(), *failed) == layers.end())
    layers.push_back(*failed);
  std::sort(layers.begin(), layers.end());
  return layers;
}

// A layer's number: the failed layer has the target's status; the layers
// before it passed; those after it count as passed when the target still
// works (a warning), else they were not judged (-1).
int layer_value(const TargetVerdict& target, Layer layer) {
  if (target.status == Status::skipped) return -1;
  const auto failed = target.failed_layer();
  if (!failed || layer < *failed) return 0;
  if (layer == *failed) return status_metric_value(target.status);
  const bool still_works = target.status == Status::ok || target.status == Status::warning;
  return still_works ? 0 : -1;
}

const AddressVerdict* address_verdict(const TargetVerdict& target, const std::string& ip) {
  for (const auto& a : target.addresses)
    if (a.ip == ip) return &a;
  return nullptr;
}

void write_targets(Exposition& out, const std::vector<TargetView>& targets) {
  out.family("ssm_reach_target_status",
             "Result per target: 0 ok, 1 warning, 2 critical, 3 unknown, -1 skipped; "
             "failed_layer and cause name the root cause (empty when ok).");
  for (const auto& t : targets)
    out.sample({{"target", t.verdict.service},
                {"required", t.verdict.required ? "true" : "false"},
                {"failed_layer", layer_label(t.verdict.cause)},
                {"cause", cause_label(t.verdict.cause)}},
               status_metric_value(t.verdict.status));
}

void write_layers(Exposition& out, const std::vector<TargetView>& targets, bool signed_call_made) {
  out.family("ssm_reach_layer_status",
             "Per target and layer of its path: 0 ok, 1 warning, 2 critical, 3 unknown, "
             "-1 not checked (an earlier layer failed, or the target was skipped); cause is "
             "set on the failed layer.");
  for (const auto& t : targets)
    for (Layer layer : path_layers(t, signed_call_made)) {
      const bool failed = t.verdict.failed_layer() == layer;
      out.sample({{"target", t.verdict.service},
                  {"layer", to_string(layer)},
                  {"cause", failed ? cause_label(t.verdict.cause) : ""}},
                 layer_value(t.verdict, layer));
    }
}

// Per address: up or not, and each layer's time where it completed.
// Addresses the verdict ignores (IPv6 without a route while IPv4 works)
// are left out: they are not a problem.
void write_addresses(Exposition& out, const std::vector<TargetView>& targets) {
  struct Row {
    const TargetView* target;
    const AddressEvidence* evidence;  // null for IMDS
    const AddressVerdict* verdict;
  };
  std::vector<Row> rows;
  for (const auto& t : targets) {
    if (!t.evidence) {
      for (const auto& a : t.verdict.addresses) rows.push_back({&t, nullptr, &a});
      continue;
    }
    for (const auto& a : t.evidence->addresses) {
      const AddressVerdict* av = address_verdict(t.verdict, a.ip.text);
      if (av && !av->ignored) rows.push_back({&t, &a, av});
    }
  }
  // No cause label here: one series per address whatever happens to it,
  // so changes() and alerts follow an address that flaps.
  out.family("ssm_reach_address_up",
             "Per address of a target: 1 when every layer checked on it passed, 0 when one "
             "failed.");
  for (const auto& r : rows)
    out.sample({{"target", r.target->verdict.service},
                {"address", r.verdict->ip},
                {"class", r.verdict->address_class}},
               r.verdict->usable ? 1 : 0);

  auto latency = [&](const char* name, const char* help, auto seconds_of) {
    out.family(name, help);
    for (const auto& r : rows) {
      if (!r.evidence) continue;
      if (auto seconds = seconds_of(*r.evidence))
        out.sample({{"target", r.target->verdict.service}, {"address", r.verdict->ip}}, *seconds);
    }
  };
  latency("ssm_reach_tcp_connect_seconds",
          "TCP connect time to the address's port 443 (only when it connected).",
          [](const AddressEvidence& a) -> std::optional<double> {
            if (a.tcp && a.tcp->outcome == netcheck::TcpOutcome::ok) return a.tcp->ms / 1000;
            return std::nullopt;
          });
  latency("ssm_reach_tls_handshake_seconds",
          "TLS handshake time on the address (only when the handshake completed).",
          [](const AddressEvidence& a) -> std::optional<double> {
            if (a.tls && a.tls->outcome == netcheck::TlsOutcome::ok) return a.tls->ms / 1000;
            return std::nullopt;
          });
  latency("ssm_reach_http_response_seconds",
          "Time of the HTTPS request GET / pinned to the address (only when it was answered).",
          [](const AddressEvidence& a) -> std::optional<double> {
            if (a.http && a.http->outcome == netcheck::HttpOutcome::ok) return a.http->ms / 1000;
            return std::nullopt;
          });
}

void write_run(Exposition& out, const Evidence& evidence, const Verdict& verdict) {
  const auto& context = evidence.context;
  out.family("ssm_reach_info", "The ssm-reach version that wrote these metrics (always 1).");
  std::string instance_id;
  if (auto it = context.imds.facts.find("meta-data/instance-id"); it != context.imds.facts.end())
    instance_id = it->second;
  out.sample({{"version", context.tool_version},
              {"region", context.region.value},
              {"instance_id", instance_id}},
             1);
  out.family("ssm_reach_status",
             "The run's result, as its exit status: 0 ok, 1 warning, 2 critical, 3 unknown.");
  out.sample({}, exit_code(verdict.status));
  out.family("ssm_reach_last_run_timestamp_seconds", "When the last run started (Unix time).");
  if (auto started = parse_utc(context.started_at)) out.sample({}, static_cast<double>(*started));
  out.family("ssm_reach_last_run_duration_seconds", "How long the last run took.");
  out.sample({}, evidence.elapsed_ms / 1000);
  out.family("ssm_reach_deadline_reached",
             "1 when --deadline stopped checks that were still running, else 0.");
  out.sample({}, context.deadline_reached ? 1 : 0);
}

}  // namespace

int status_metric_value(Status status) {
  return status == Status::skipped ? -1 : exit_code(status);
}

std::string render_prometheus(const Evidence& evidence, const Verdict& verdict) {
  std::vector<TargetView> targets;
  if (verdict.imds) targets.push_back({*verdict.imds, nullptr});
  // diagnose() keeps evidence order; match by index, checked by service.
  for (std::size_t i = 0; i < verdict.targets.size(); ++i) {
    const TargetEvidence* te = nullptr;
    if (i < evidence.targets.size() &&
        evidence.targets[i].target.service == verdict.targets[i].service)
      te = &evidence.targets[i];
    // An endpoint without its evidence (never from diagnose()) still gets
    // an endpoint's layers, and no addresses.
    static const TargetEvidence kNoEvidence{};
    targets.push_back({verdict.targets[i], te ? te : &kNoEvidence});
  }
  const bool signed_call_made = evidence.signed_call && evidence.signed_call->skipped.empty();
  Exposition out;
  write_run(out, evidence, verdict);
  write_targets(out, targets);
  write_layers(out, targets, signed_call_made);
  write_addresses(out, targets);
  return out.take();
}

}  // namespace ssmreach
