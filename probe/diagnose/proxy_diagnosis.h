// The proxy as the SSM agent uses it: the path through it to each target,
// and whether the agent's metadata requests go to it by mistake.
#pragma once

#include "probe/diagnose/cause_text.h"
#include "probe/diagnose/verdict.h"
#include "probe/evidence/evidence.h"

namespace ssmreach::diagnosis_detail {

// A target the agent reaches through its proxy is judged by that path; the
// direct path, already diagnosed in `tv`, only says whether the proxy is the
// only problem. No-op without TargetEvidence::proxy_path.
void weigh_proxy_path(const TargetContext& ctx, TargetVerdict& tv);

// proxy.imds-not-excluded on the IMDS target: the agent's http_proxy applies
// to 169.254.169.254 because no_proxy does not exclude it.
void weigh_imds_proxy(const RunContext& context, TargetVerdict& imds);

}  // namespace ssmreach::diagnosis_detail
