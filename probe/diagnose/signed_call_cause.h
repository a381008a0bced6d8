// What the signed call's answer means: AWS's error words mapped to causes.
#pragma once

#include <optional>

#include "probe/diagnose/cause.h"
#include "probe/evidence/aws_error.h"

namespace ssmreach {

// The cause of the signed call's answer: nullopt for 2xx, else one of
// auth.endpoint-policy-deny, auth.access-denied, auth.clock-skew,
// auth.expired-credentials, auth.invalid-credentials, auth.throttled,
// auth.service-error (5xx) and auth.unexpected-answer.
std::optional<Cause> signed_call_cause(long http_status, const AwsError& error);

}  // namespace ssmreach
