#include "probe/diagnose/problem_groups.h"

#include <algorithm>

#include "probe/diagnose/merged_text.h"
#include "probe/util/text_util.h"

namespace ssmreach {
namespace {

// A skipped target says why when a cause made it so (tls.trust-store).
bool has_finding(const TargetVerdict& tv) {
  if (tv.status == Status::skipped) return tv.cause.has_value();
  return tv.status != Status::ok;
}

// Without ssm nothing works, which says all there is to say; otherwise each
// member's impact, named.
std::string group_impact(const std::vector<const TargetVerdict*>& members) {
  for (const auto* m : members)
    if (m->service == "ssm" || members.size() == 1) return m->impact;
  std::string impact;
  for (const auto* m : members)
    if (!m->impact.empty()) impact += (impact.empty() ? "" : " ") + m->service + ": " + m->impact;
  return impact;
}

Problem problem_of(const std::vector<const TargetVerdict*>& members) {
  const TargetVerdict& first = *members.front();
  Problem p;
  p.status = first.status;
  p.cause = first.cause;
  p.impact = group_impact(members);
  if (members.size() == 1) {
    p.services = {first.service};
    p.headline = first.headline;
    p.explanation = first.explanation;
    p.remedy = first.remedy;
    return p;
  }
  std::vector<std::string> headlines, explanations, remedies;
  for (const auto* m : members) {
    p.services.push_back(m->service);
    headlines.push_back(m->headline);
    explanations.push_back(m->explanation);
    remedies.push_back(m->remedy);
  }
  const std::vector<std::string> others(p.services.begin() + 1, p.services.end());
  // The headline follows the services' names: "each endpoint name" says
  // which host names it means, in fewer columns (the block must fit 80x24).
  p.headline = merge_prose(headlines, p.services, HostNames::each).value_or(first.headline);
  p.explanation =
      merge_prose(explanations, p.services)
          .value_or(first.explanation + " The same holds for " + list_and(others) + ".");
  // Equal keys make equal remedies up to names and addresses, which merge.
  p.remedy = merge_remedy(remedies, p.services).value_or(first.remedy);
  return p;
}

}  // namespace

void assign_problem_keys(std::vector<TargetVerdict>& targets) {
  std::vector<const TargetVerdict*> firsts;  // the first target of each finding
  for (auto& tv : targets) {
    tv.problem_key.clear();
    if (!has_finding(tv)) continue;
    const auto same = std::find_if(firsts.begin(), firsts.end(), [&](const TargetVerdict* first) {
      return first->status == tv.status && first->cause == tv.cause &&
             same_up_to_names(first->remedy, first->service, tv.remedy, tv.service);
    });
    if (same != firsts.end()) {
      tv.problem_key = (*same)->problem_key;
      continue;
    }
    tv.problem_key = std::string(to_string(tv.status)) + "|" +
                     (tv.cause ? to_string(*tv.cause) : "") + "|" +
                     address_template(service_template(tv.remedy, tv.service));
    firsts.push_back(&tv);
  }
}

std::vector<Problem> group_problems(const Verdict& verdict) {
  std::vector<Problem> problems;
  if (verdict.imds && has_finding(*verdict.imds)) problems.push_back(problem_of({&*verdict.imds}));
  const auto& targets = verdict.targets;
  std::vector<bool> told(targets.size(), false);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (told[i] || targets[i].problem_key.empty()) continue;
    std::vector<const TargetVerdict*> members;
    for (std::size_t j = i; j < targets.size(); ++j) {
      if (told[j] || targets[j].problem_key != targets[i].problem_key) continue;
      members.push_back(&targets[j]);
      told[j] = true;
    }
    problems.push_back(problem_of(members));
  }
  // What to fix first: the most severe; among equals, the diagnosis's order.
  std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
    return exit_code(a.status) > exit_code(b.status);
  });
  return problems;
}

std::string summary_line(const Verdict& verdict) {
  if (verdict.problems.empty()) return "";
  const Problem& first = verdict.problems.front();
  const std::size_t n = first.services.size();
  const std::string who =
      n > 1 ? std::to_string(n) + " of " + std::to_string(verdict.targets.size()) + " services"
            : first.services.front();
  const char* verb = first.status == Status::critical  ? "blocked"
                     : first.status == Status::warning ? "degraded"
                                                       : "not judged";
  std::string line =
      who + " " + verb + ": " + (first.cause ? cause_title(*first.cause) : "see below");
  if (const std::size_t more = verdict.problems.size() - 1; more > 0)
    line += "; " + count_of(more, "more finding", "more findings") + " below";
  return line + ".";
}

}  // namespace ssmreach
