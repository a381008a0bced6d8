// Rendering of a verdict: text for people, JSON for programs.
#pragma once

#include <string>

#include "probe/evidence.h"
#include "probe/verdict.h"

namespace ssmreach {

struct TextStyle {
  bool color = false;  // ANSI colour: only on a TTY and never with NO_COLOR
  int width = 80;
};

// Plain ASCII, no line longer than style.width.
std::string render_text(const Evidence& evidence, const Verdict& verdict, TextStyle style);

// One JSON object per the contract (schema "ssm-reach/v1"), newline-terminated.
std::string render_json(const Evidence& evidence, const Verdict& verdict);

}  // namespace ssmreach
