// The auth layer: this instance's clock against the service's, the
// credentials IMDS serves, and the signed read-only call.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "probe/diagnose/verdict.h"
#include "probe/evidence/evidence.h"

namespace ssmreach::diagnosis_detail {

// The service's clock minus this instance's, in seconds: the median over
// every HTTP answer with a Date (direct, through the proxy, the signed
// call); nullopt without any.
std::optional<double> service_clock_offset(const Evidence& evidence);

// auth.clock-skew on every target that answered, when the offset is over
// the limit.
void weigh_clock(const Evidence& evidence, std::vector<TargetVerdict>& targets);

// auth.no-credentials / auth.expired-credentials on the IMDS target.
void weigh_credentials(const Evidence& evidence, TargetVerdict& imds);

// The signed call's answer on the ssm target; notes when it was not made,
// and auth.unchecked (a warning) when it was due and nothing else in the
// verdict (`imds`, weighed first, or the ssm target) explains its absence.
void weigh_signed_call(const Evidence& evidence, const std::optional<TargetVerdict>& imds,
                       std::vector<TargetVerdict>& targets, std::vector<std::string>& notes);

}  // namespace ssmreach::diagnosis_detail
