// ssm-reach: which layer of the path to AWS Systems Manager is broken, and why.
#include <unistd.h>

#include <csignal>

#include "netcheck/clock.h"
#include "netcheck/init.h"
#include "probe/diagnose/diagnosis.h"
#include "probe/evidence/evidence_file.h"
#include "probe/fleet/fleet.h"
#include "probe/live_run.h"
#include "probe/options.h"
#include "probe/report/boot_json_file.h"
#include "probe/report/report.h"
#include "probe/report/report_boot.h"
#include "probe/report/report_prometheus.h"
#include "probe/report/textfile.h"
#include "probe/util/environment.h"
#include "probe/util/output_file.h"
#include "probe/util/printable.h"
#include "probe/util/report_width.h"
#include "probe/util/standard_streams.h"
#include "probe/watch.h"

namespace ssmreach {
namespace {

// Colour only on a terminal, and never with NO_COLOR; the terminal's width
// (COLUMNS first), else 80 columns.
TextStyle text_style(const GetEnv& env) {
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  return TextStyle{terminal && !env("NO_COLOR") && env("TERM") != "dumb",
                   report_width(terminal, env("COLUMNS"), terminal_columns(STDOUT_FILENO))};
}

// One line on stderr. What it names may come from the user or a file: no
// control character of theirs reaches the terminal.
void say(const std::string& text) { write_stderr("ssm-reach: " + printable_line(text) + "\n"); }

// --boot: the JSON report to stderr (the unit's journal) and to
// --boot-json, then the short summary on stdout (the serial console). The
// console's last line says where the details are.
void report_boot(const Evidence& evidence, const Verdict& verdict, const Options& options) {
  const std::string json = render_json(evidence, verdict);
  write_stderr(json);
  std::string error;
  std::string details = options.boot_json;
  if (options.boot_json == kStdoutPath) {
    write_stdout(json);
    details = "stdout";
  } else if (!write_boot_json(options.boot_json, json, &error)) {
    write_stdout(boot_line("warning: report not saved: " + error));
    details = "journalctl -u ssm-reach-boot";
  }
  write_stdout(render_boot_summary(verdict, details));
}

// Diagnoses, prints the report, and returns the exit status.
int report(const Evidence& evidence, const Options& options, TextStyle style,
           const std::string& replay_of = "") {
  const Verdict verdict = diagnose(evidence);
  if (options.boot)
    report_boot(evidence, verdict, options);
  else if (options.output == OutputFormat::json)
    write_stdout(render_json(evidence, verdict));
  else if (options.output == OutputFormat::prometheus)
    write_stdout(render_prometheus(evidence, verdict));
  else
    write_stdout(render_text(evidence, verdict, style, replay_of));
  // Like the evidence file: a textfile that cannot be written does not
  // change the diagnosis's exit status; stderr says why it is missing.
  std::string textfile_error;
  if (options.textfile &&
      !write_textfile(*options.textfile, render_prometheus(evidence, verdict), &textfile_error))
    say("warning: textfile not written: " + textfile_error);
  return exit_code(verdict.status);
}

// The files a run will write, refused before it starts (exit 3) when
// writing them could damage something: util/output_file.h.
bool output_files_usable(const Options& options) {
  const auto check = [&](const char* flag, const std::string& path) {
    const auto why = refuse_output_path(path, options.force);
    if (why) say(std::string(flag) + ": " + *why);
    return !why;
  };
  if (options.save_evidence && !check("--save-evidence", *options.save_evidence)) return false;
  return !options.boot || check("--boot-json", options.boot_json);
}

// A live run: the evidence, then the same diagnosis and report as explain.
int run(const Options& options) {
  const auto started = netcheck::Clock::now();
  const GetEnv env = process_environment();
  if (auto problem = check_environment(options, env)) {
    write_stderr(*problem + "\n");
    return 3;
  }
  if (!output_files_usable(options)) return 3;
  const Evidence evidence = gather_live_evidence(options, env, started);
  const int code = report(evidence, options, text_style(env));
  if (!options.save_evidence) return code;
  if (*options.save_evidence == kStdoutPath) {
    write_stdout(evidence_to_json(evidence));
    return code;
  }
  // A file that cannot be written does not change what the run found: the
  // exit status stays the diagnosis's (monitoring relies on it), and stderr
  // says why the file is missing.
  std::string save_error;
  if (!save_evidence_file(*options.save_evidence, evidence, &save_error))
    say("warning: evidence not saved: " + save_error);
  return code;
}

// `ssm-reach explain FILE`: the same diagnosis and report on recorded
// evidence; nothing is contacted. An unusable file is exit 3 (unknown).
int explain(const Options& options) {
  std::string error;
  auto evidence = load_evidence_file(*options.explain_file, &error);
  if (!evidence) {
    say("explain: " + error);
    return 3;
  }
  return report(*evidence, options, text_style(process_environment()), *options.explain_file);
}

// Only a live run needs OpenSSL, libcurl and c-ares set up (a millisecond
// or two of CPU): --version, --help, explain and --fleet do without.
bool network_ready() {
  std::string error;
  if (netcheck::global_init(&error)) return true;
  say(error);
  return false;
}

int run_or_explain(int argc, char** argv) {
  auto parsed = parse_command_line(argc, argv);
  if (parsed.exit_code) {
    const std::string line = parsed.message + (parsed.message.ends_with('\n') ? "" : "\n");
    if (*parsed.exit_code == 0)
      write_stdout(line);
    else
      write_stderr(line);
    return *parsed.exit_code;
  }
  try {
    if (parsed.options.explain_file) return explain(parsed.options);
    if (parsed.options.fleet)
      return run_fleet(parsed.options.fleet_files, parsed.options.output == OutputFormat::json);
    if (!network_ready()) return 3;
    if (parsed.options.watch_s) return run_watch(parsed.options);
    return run(parsed.options);
  } catch (const std::exception& e) {
    say(std::string("internal error: ") + e.what());
    return 3;
  }
}

}  // namespace
}  // namespace ssmreach

int main(int argc, char** argv) {
  ssmreach::hold_standard_streams_open();
  // A peer that resets the connection, or a reader of stdout that leaves,
  // must not kill us with SIGPIPE: the write fails with EPIPE instead.
  std::signal(SIGPIPE, SIG_IGN);
  return ssmreach::exit_code_after_output(ssmreach::run_or_explain(argc, argv));
}
