#include "probe/watch_log.h"

#include <algorithm>
#include <sstream>

#include "probe/report/report_boot.h"
#include "probe/util/text_util.h"

namespace ssmreach {
namespace {

// A status line's words: "CRITICAL tcp.timeout", "ok".
std::string status_and_cause(Status status, const std::optional<Cause>& cause) {
  std::string out = status_word(status);
  if (cause && status != Status::ok) out += std::string(" ") + to_string(*cause);
  return out;
}

// Plain ASCII within 80 columns, as the boot lines are (without their prefix).
std::string fitted(const std::string& text) {
  std::string line = boot_line(text, 80 + std::string_view(kBootLinePrefix).size());
  return line.substr(std::string_view(kBootLinePrefix).size(),
                     line.size() - std::string_view(kBootLinePrefix).size() - 1);
}

// Words wrapped at 80 columns, later lines indented by two spaces.
std::string wrapped(const std::string& text) {
  std::string out, line, word;
  std::istringstream words(text);
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > 80) {
      out += line + "\n";
      line = " ";
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line + "\n";
}

std::string without_period(std::string text) {
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

// What a failing address is called: an interface endpoint's ENI, IMDS, or
// an address.
std::string address_noun(const std::string& target, const std::string& address_class) {
  if (target == "imds") return "IMDS";
  if (address_class == "vpc" || address_class == "private") return "ENI";
  return "address";
}

}  // namespace

WatchLog::Track* WatchLog::track(const std::string& target, const std::string& ip) {
  for (auto& t : tracks_)
    if (t.target == target && t.ip == ip) return &t;
  if (tracks_.size() >= kMaxTracks) {
    untracked_++;
    return nullptr;
  }
  Track added;
  added.target = target;
  added.ip = ip;
  tracks_.push_back(std::move(added));
  return &tracks_.back();
}

void WatchLog::observe_target(const TargetVerdict& target, const std::string& prefix,
                              std::vector<std::string>& lines) {
  Track* t = track(target.service, "");
  if (!t) return;
  const bool bad = target.status != Status::ok && target.status != Status::skipped;
  const bool first = !t->seen;
  const bool changed = !first && (t->status != target.status || t->cause != target.cause);
  std::string headline = target.status == Status::ok ? "" : " " + without_period(target.headline);
  if (first) {
    lines.push_back(fitted(prefix + target.service + " " +
                           status_and_cause(target.status, target.cause) + headline));
  } else if (changed) {
    lines.push_back(fitted(prefix + target.service + " " + status_word(t->status) + " -> " +
                           status_and_cause(target.status, target.cause) + headline));
    t->changes++;
  }
  if (bad && (first || !t->bad)) t->spells++;
  if (bad) {
    t->failed++;
    t->last_failure = target.cause;
  }
  t->seen = true;
  t->bad = bad;
  t->status = target.status;
  t->cause = target.cause;
  t->runs++;
}

void WatchLog::observe_address(const TargetVerdict& target, const AddressVerdict& address,
                               const std::string& prefix, std::vector<std::string>& lines) {
  if (address.ignored) return;
  Track* t = track(target.service, address.ip);
  if (!t) return;
  t->address_class = address.address_class;
  const bool bad = !address.usable;
  const std::string name = prefix + target.service + " " + address.ip;
  const std::string why =
      (address.cause ? std::string(to_string(*address.cause)) + " " : "") + address.detail;
  if (!t->seen) {
    if (bad) lines.push_back(fitted(name + " failing: " + why));
  } else if (bad && !t->bad) {
    lines.push_back(fitted(name + " went bad: " + why));
    t->changes++;
  } else if (!bad && t->bad) {
    lines.push_back(fitted(name + " recovered"));
    t->changes++;
  } else if (bad && t->cause != address.cause) {
    lines.push_back(fitted(name + " now " + why));
    t->changes++;
  }
  if (bad && (!t->seen || !t->bad)) t->spells++;
  if (bad) {
    t->failed++;
    t->last_failure = address.cause;
  }
  t->seen = true;
  t->bad = bad;
  t->cause = address.cause;
  t->runs++;
}

std::vector<std::string> WatchLog::add(const Verdict& verdict, const std::string& clock) {
  runs_++;
  worst_ = ssmreach::worst(worst_, verdict.status);
  const std::string prefix = clock + " run " + std::to_string(runs_) + ": ";
  std::vector<std::string> lines;
  std::vector<const TargetVerdict*> targets;
  if (verdict.imds) targets.push_back(&*verdict.imds);
  for (const auto& t : verdict.targets) targets.push_back(&t);
  for (const TargetVerdict* t : targets) {
    observe_target(*t, prefix, lines);
    for (const auto& address : t->addresses) observe_address(*t, address, prefix, lines);
  }
  if (last_status_ && *last_status_ != verdict.status)
    lines.push_back(fitted(prefix + "result " + upper_word(*last_status_) + " -> " +
                           upper_word(verdict.status)));
  last_status_ = verdict.status;
  return lines;
}

std::string WatchLog::flapping_sentence(const Track& t) const {
  const std::string what =
      t.ip.empty() ? t.target
                   : address_noun(t.target, t.address_class) + " " + t.ip + " (" + t.target + ")";
  std::string out = "Flapping: " + what + " failed " + std::to_string(t.failed) + " of " +
                    std::to_string(t.runs) + " runs in " + std::to_string(t.spells) +
                    " separate spells";
  if (t.last_failure) out += std::string(", last ") + to_string(*t.last_failure);
  return out + ".";
}

std::string WatchLog::summary(const std::string& span) const {
  std::string out = wrapped("Summary: " + count_of(static_cast<std::size_t>(runs_), "run", "runs") +
                            " " + span + "; worst result " + upper_word(worst_) + " (exit " +
                            std::to_string(exit_code(worst_)) + ")");
  std::vector<std::vector<std::string>> rows{
      {"TARGET", "ADDRESS", "FAILED", "CHANGES", "LAST CAUSE", ""}};
  for (const auto& t : tracks_) {
    const std::string address = t.ip.empty() ? "-" : t.ip + " " + t.address_class;
    rows.push_back({t.target, address, std::to_string(t.failed) + " of " + std::to_string(t.runs),
                    std::to_string(t.changes),
                    t.last_failure ? to_string(*t.last_failure) : (t.failed ? "?" : "-"),
                    t.flapping() ? "FLAPPING" : ""});
  }
  std::vector<std::size_t> widths(6, 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i)
      line += row[i] + std::string(widths[i] - row[i].size() + 2, ' ');
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  for (const auto& t : tracks_)
    if (t.flapping()) out += wrapped(flapping_sentence(t));
  if (untracked_ > 0)
    out += "(" + std::to_string(untracked_) +
           " observations of further addresses not followed: " + "more than " +
           std::to_string(kMaxTracks) + ")\n";
  return out;
}

}  // namespace ssmreach
