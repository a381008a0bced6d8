#include "probe/host/systemd_syntax.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace ssmreach::systemd {

namespace {

constexpr std::string_view kWhitespace = " \t\n\r";
constexpr std::string_view kComments = "#;";

bool is_whitespace(char c) { return kWhitespace.find(c) != std::string_view::npos; }
bool is_newline(char c) { return c == '\n' || c == '\r'; }

std::string_view strip(std::string_view s) {
  const auto first = s.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kWhitespace) - first + 1);
}

std::string line_problem(unsigned line, const std::string& text) {
  return "line " + std::to_string(line) + ": " + text;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

// The C escape starting at s[0] (the character after the backslash), as
// systemd's cunescape_one reads it: appends the character and returns how
// many characters it took, or 0 for an escape systemd rejects (unknown
// letters, NUL, code points past Unicode).
std::size_t unescape_one(std::string_view s, std::string& out) {
  if (s.empty()) return 0;
  switch (s[0]) {
    case 'a':
      out += '\a';
      return 1;
    case 'b':
      out += '\b';
      return 1;
    case 'f':
      out += '\f';
      return 1;
    case 'n':
      out += '\n';
      return 1;
    case 'r':
      out += '\r';
      return 1;
    case 't':
      out += '\t';
      return 1;
    case 'v':
      out += '\v';
      return 1;
    case 's':
      out += ' ';
      return 1;
    case '\\':
    case '"':
    case '\'':
      out += s[0];
      return 1;
    case 'x':
    case 'u':
    case 'U': {
      const std::size_t digits = s[0] == 'x' ? 2 : s[0] == 'u' ? 4 : 8;
      if (s.size() < digits + 1) return 0;
      std::uint32_t code = 0;
      for (std::size_t i = 1; i <= digits; ++i) {
        const int d = hex_digit(s[i]);
        if (d < 0) return 0;
        code = code * 16 + static_cast<std::uint32_t>(d);
      }
      if (code == 0) return 0;
      if (s[0] == 'x') {
        out += static_cast<char>(code);  // a raw byte
      } else {
        if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
        append_utf8(out, code);
      }
      return digits + 1;
    }
    default:
      break;
  }
  if (s[0] >= '0' && s[0] <= '7') {  // three octal digits
    if (s.size() < 3) return 0;
    std::uint32_t code = 0;
    for (std::size_t i = 0; i < 3; ++i) {
      if (s[i] < '0' || s[i] > '7') return 0;
      code = code * 8 + static_cast<std::uint32_t>(s[i] - '0');
    }
    if (code == 0 || code > 255) return 0;
    out += static_cast<char>(code);
    return 3;
  }
  return 0;
}

// The specifiers systemd knows in unit files (systemd.unit(5), "Specifiers").
constexpr std::string_view kUnitSpecifiers = "aAbBCdEfgGhHiIjJlLmMnNopPqsStTuUvVwWyY";

}  // namespace

UnitText parse_unit_text(std::string_view text) {
  UnitText out;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::string section;
  std::optional<std::string> continuation;
  unsigned continuation_line = 0;

  // Returns false when systemd would refuse the whole file.
  auto parse_line = [&](std::string_view raw, unsigned line) {
    const std::string_view l = strip(raw);
    if (l.empty() || kComments.find(l.front()) != std::string_view::npos) return true;
    if (l.front() == '[') {
      if (l.size() < 2 || l.back() != ']') {
        out.problems.push_back(
            line_problem(line, "unterminated section header; systemd refuses to load this file"));
        return false;
      }
      section = std::string(l.substr(1, l.size() - 2));
      return true;
    }
    if (section.empty()) {
      out.problems.push_back(line_problem(line, "assignment outside of a section; ignored"));
      return true;
    }
    const auto eq = l.find('=');
    if (eq == std::string_view::npos) {
      out.problems.push_back(line_problem(line, "no '=' in the line; ignored"));
      return true;
    }
    out.assignments.push_back(Assignment{section, std::string(strip(l.substr(0, eq))),
                                         std::string(strip(l.substr(eq + 1))), line});
    return true;
  };

  unsigned line = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (raw.ends_with('\r')) raw.remove_suffix(1);
    ++line;

    // Comment lines are skipped even between continued lines.
    const auto first = raw.find_first_not_of(kWhitespace);
    if (first != std::string_view::npos && kComments.find(raw[first]) != std::string_view::npos)
      continue;

    std::string joined = continuation ? *continuation + std::string(raw) : std::string(raw);
    bool escaped = false;
    for (char c : joined) escaped = !escaped && c == '\\';
    if (escaped) {
      // A trailing backslash becomes a blank and the next line follows.
      joined.back() = ' ';
      if (!continuation) continuation_line = line;
      continuation = std::move(joined);
      continue;
    }
    const unsigned start = continuation ? continuation_line : line;
    continuation.reset();
    if (!parse_line(joined, start)) {
      out.assignments.clear();
      out.refused = true;
      return out;
    }
  }
  if (continuation && !parse_line(*continuation, continuation_line)) {
    out.assignments.clear();
    out.refused = true;
  }
  return out;
}

Words split_words(std::string_view value) {
  Words out;
  std::size_t i = 0;
  while (true) {
    while (i < value.size() && is_whitespace(value[i])) ++i;
    if (i >= value.size()) return out;
    std::string word;
    char quote = 0;
    for (;;) {
      if (i >= value.size()) {
        if (quote) {  // unbalanced quotes
          out.syntax_error = true;
          return out;
        }
        break;
      }
      const char c = value[i];
      if (c == '\\') {
        const std::size_t used = unescape_one(value.substr(i + 1), word);
        if (used == 0) {  // an unknown escape or a trailing backslash
          out.syntax_error = true;
          return out;
        }
        i += 1 + used;
        continue;
      }
      if (quote) {
        if (c == quote)
          quote = 0;
        else
          word += c;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (is_whitespace(c)) {
        break;
      } else {
        word += c;
      }
      ++i;
    }
    out.words.push_back(std::move(word));
  }
}

Specifiers resolve_specifiers(std::string_view text) {
  Specifiers out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%' || i + 1 == text.size()) {  // a trailing '%' stays
      out.text += text[i];
      continue;
    }
    const char next = text[++i];
    if (next == '%') {
      out.text += '%';
    } else if (kUnitSpecifiers.find(next) != std::string_view::npos) {
      out.status = Specifiers::Status::unexpanded;
      out.specifier = next;
      out.text.clear();
      return out;
    } else if (std::isalnum(static_cast<unsigned char>(next))) {
      out.status = Specifiers::Status::unknown;
      out.text.clear();
      return out;
    } else {
      out.text += '%';
      out.text += next;
    }
  }
  return out;
}

bool is_variable_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      extra = 1;
      code = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      code = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3f);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[extra] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return false;
    i += extra + 1;
  }
  return true;
}

namespace {

// systemd's own state machine for EnvironmentFile= (src/basic/env-file.c,
// parse_env_file_internal), one character at a time.
class EnvironmentFileParser {
 public:
  EnvironmentFileText parse(std::string_view text) {
    for (std::size_t i = 0; i < text.size() && !out_.refused; ++i) {
      step(text[i]);
      if (text[i] == '\n') ++line_;
    }
    if (!out_.refused) finish();
    if (out_.refused) out_.variables.clear();
    return std::move(out_);
  }

 private:
  enum class State {
    pre_key,
    key,
    pre_value,
    value,
    value_escape,
    single_quoted,
    double_quoted,
    double_quoted_escape,
    comment,
    comment_escape,
  };

  void step(char c) {
    switch (state_) {
      case State::pre_key:
        return in_pre_key(c);
      case State::key:
        return in_key(c);
      case State::pre_value:
        return in_pre_value(c);
      case State::value:
        return in_value(c);
      case State::value_escape:
        state_ = State::value;
        if (!is_newline(c)) value_ += c;  // an escaped newline joins the lines
        return;
      case State::single_quoted:
        if (c == '\'')
          state_ = State::pre_value;
        else
          value_ += c;
        return;
      case State::double_quoted:
        return in_double_quoted(c);
      case State::double_quoted_escape:
        return in_double_quoted_escape(c);
      case State::comment:
        if (c == '\\')
          state_ = State::comment_escape;
        else if (is_newline(c))
          state_ = State::pre_key;
        return;
      case State::comment_escape:
        state_ = is_newline(c) ? State::pre_key : State::comment;
        return;
    }
  }

  void in_pre_key(char c) {
    if (kComments.find(c) != std::string_view::npos) {
      state_ = State::comment;
    } else if (!is_whitespace(c)) {
      state_ = State::key;
      key_.assign(1, c);
      key_blank_from_ = std::string::npos;
      key_line_ = line_;
    }
  }

  void in_key(char c) {
    if (is_newline(c)) {
      state_ = State::pre_key;  // a line without '=' is dropped
      key_.clear();
    } else if (c == '=') {
      state_ = State::pre_value;
      value_.clear();
      value_blank_from_ = std::string::npos;
    } else {
      note_blank(c, key_, key_blank_from_);
      key_ += c;
    }
  }

  void in_pre_value(char c) {
    if (is_newline(c)) {
      state_ = State::pre_key;
      push(false);
    } else if (c == '\'') {
      state_ = State::single_quoted;
    } else if (c == '"') {
      state_ = State::double_quoted;
    } else if (c == '\\') {
      state_ = State::value_escape;
    } else if (!is_whitespace(c)) {
      state_ = State::value;
      value_ += c;
    }
  }

  void in_value(char c) {
    if (is_newline(c)) {
      state_ = State::pre_key;
      push(true);
    } else if (c == '\\') {
      state_ = State::value_escape;
      value_blank_from_ = std::string::npos;
    } else {
      note_blank(c, value_, value_blank_from_);
      value_ += c;
    }
  }

  void in_double_quoted(char c) {
    if (c == '"')
      state_ = State::pre_value;
    else if (c == '\\')
      state_ = State::double_quoted_escape;
    else
      value_ += c;
  }

  void in_double_quoted_escape(char c) {
    state_ = State::double_quoted;
    if (c == '"' || c == '\\' || c == '`' || c == '$') {
      value_ += c;
    } else if (c != '\n') {
      value_ += '\\';  // like a shell, other escapes stay as written
      value_ += c;
    }
  }

  // Trailing blanks of a key or an unquoted value are dropped: remember
  // where the current run of blanks started.
  static void note_blank(char c, const std::string& text, std::size_t& blank_from) {
    if (!is_whitespace(c))
      blank_from = std::string::npos;
    else if (blank_from == std::string::npos)
      blank_from = text.size();
  }

  // The end of the text ends the assignment in progress, as a newline would.
  void finish() {
    switch (state_) {
      case State::pre_value:
      case State::value_escape:
      case State::single_quoted:
      case State::double_quoted:
      case State::double_quoted_escape:
        push(false);
        break;
      case State::value:
        push(true);
        break;
      default:
        break;
    }
  }

  void push(bool strip_value_blanks) {
    if (key_blank_from_ != std::string::npos) key_.resize(key_blank_from_);
    if (strip_value_blanks && value_blank_from_ != std::string::npos)
      value_.resize(value_blank_from_);
    if (!is_valid_utf8(key_) || !is_valid_utf8(value_)) {
      // systemd stops loading the file here.
      out_.problems.push_back(
          line_problem(key_line_, "invalid UTF-8; systemd cannot load this file"));
      out_.refused = true;
    } else if (!is_variable_name(key_)) {
      out_.problems.push_back(line_problem(key_line_, "not a valid variable name; ignored"));
    } else {
      out_.variables.push_back(FileVariable{key_, value_, key_line_});
    }
    key_.clear();
    value_.clear();
  }

  EnvironmentFileText out_;
  State state_ = State::pre_key;
  std::string key_, value_;
  std::size_t key_blank_from_ = std::string::npos, value_blank_from_ = std::string::npos;
  unsigned line_ = 1, key_line_ = 1;
};

}  // namespace

EnvironmentFileText parse_environment_file(std::string_view text) {
  return EnvironmentFileParser{}.parse(text);
}

}  // namespace ssmreach::systemd
