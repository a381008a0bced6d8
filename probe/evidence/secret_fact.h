#pragma once

#include <string>

namespace ssmreach {

// Metadata that must never reach a report or an evidence file: credentials
// (the instance profile's and the instance identity's), tokens, user data.
// The client keeps the credential answers out of the facts (only
// CredentialEvidence describes them) and never reads user data; this guards
// the outputs should a later change (or a hand-made evidence file) hold them.
bool is_secret_fact(const std::string& key, const std::string& value);

}  // namespace ssmreach
