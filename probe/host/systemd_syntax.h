// systemd's file syntaxes, as far as a service's environment depends on
// them: unit files and their drop-ins (systemd.syntax(7)), the words of
// Environment= (systemd.exec(5)) and EnvironmentFile= files. Pure text in,
// values out; nothing here reads files.
//
// Behaviour follows systemd's own code (src/shared/conf-parser.c,
// src/basic/extract-word.c, src/basic/escape.c, src/basic/env-file.c,
// src/shared/specifier.c, src/core/load-fragment.c config_parse_environ).
//
// Problems are reported as "line N: ..." and never quote a value: values
// here hold proxy passwords and, at times, AWS keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssmreach::systemd {

// One "Key=Value" line of a unit file (or of system.conf).
struct Assignment {
  std::string section;  // "Service"
  std::string key;      // "Environment"
  std::string value;    // blanks around it removed, continuation lines joined
  unsigned line = 0;    // where the assignment starts
};

struct UnitText {
  std::vector<Assignment> assignments;
  std::vector<std::string> problems;
  // systemd refuses to load the file at all (an unterminated section
  // header); `assignments` is then empty.
  bool refused = false;
};

// Sections, comments ('#' or ';' first on a line, also between continued
// lines), a trailing '\' continuing a line, a UTF-8 byte-order mark.
UnitText parse_unit_text(std::string_view text);

// The words of an Environment= value, unquoted and unescaped the way
// systemd does ('"a=b c" d=e' gives "a=b c" and "d=e"). An unbalanced quote
// or an unknown escape ends the value: the words before it count,
// `syntax_error` is set and the rest is ignored, as in systemd.
struct Words {
  std::vector<std::string> words;
  bool syntax_error = false;
};
Words split_words(std::string_view value);

// systemd expands "%x" specifiers in Environment= words and
// EnvironmentFile= paths: "%%" is a '%'; '%' before a letter or digit that
// is no specifier makes systemd ignore the whole word; a real specifier
// ("%H", "%n") is expanded by systemd but not here.
struct Specifiers {
  enum class Status { ok, unknown, unexpanded };
  Status status = Status::ok;
  std::string text;    // with "%%" made '%' (when ok)
  char specifier = 0;  // the letter, when unexpanded (never a digit)
};
Specifiers resolve_specifiers(std::string_view text);

// A variable name systemd accepts: letters, digits and '_', no leading digit.
bool is_variable_name(std::string_view name);
bool is_valid_utf8(std::string_view text);

// One KEY=VALUE of an EnvironmentFile= file.
struct FileVariable {
  std::string key;
  std::string value;
  unsigned line = 0;
};
struct EnvironmentFileText {
  std::vector<FileVariable> variables;  // in file order; later ones win
  std::vector<std::string> problems;
  // systemd cannot load the file (invalid UTF-8): no variable counts, and a
  // service whose EnvironmentFile= lacks the '-' prefix does not start.
  bool refused = false;
};
// Shell-like: '#'/';' comment lines, KEY=VALUE with blanks around the key,
// single quotes (literal), double quotes (\" \\ \` \$ escapes), a trailing
// '\' joining lines; lines without '=' and invalid names are dropped.
EnvironmentFileText parse_environment_file(std::string_view text);

}  // namespace ssmreach::systemd
