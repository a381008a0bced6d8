// Rendering of a verdict: text for people, JSON for programs.
#pragma once

#include <string>

#include "probe/diagnose/verdict.h"
#include "probe/evidence/evidence.h"

namespace ssmreach {

struct TextStyle {
  bool color = false;  // ANSI colour: only on a TTY and never with NO_COLOR
  int width = 80;
};

// Plain ASCII, no line longer than style.width. `replay_of`: the evidence
// file `explain` replays (the report opens by saying so and when it was
// recorded); empty for a live run.
std::string render_text(const Evidence& evidence, const Verdict& verdict, TextStyle style,
                        const std::string& replay_of = "");

// One JSON object per the contract (schema "ssm-reach/v1"), newline-terminated.
std::string render_json(const Evidence& evidence, const Verdict& verdict);

}  // namespace ssmreach
