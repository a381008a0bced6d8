// ssm-reach: which layer of the path to AWS Systems Manager is broken, and why.
#include <unistd.h>

#include <csignal>
#include <iostream>

#include "netcheck/clock.h"
#include "netcheck/init.h"
#include "probe/boot_json_file.h"
#include "probe/diagnosis.h"
#include "probe/environment.h"
#include "probe/evidence_file.h"
#include "probe/live_run.h"
#include "probe/options.h"
#include "probe/report.h"
#include "probe/report_boot.h"

namespace ssmreach {
namespace {

bool want_color(const GetEnv& env) {
  return ::isatty(STDOUT_FILENO) == 1 && !env("NO_COLOR") && env("TERM") != "dumb";
}

// --boot: the JSON report to stderr (the unit's journal) and to
// --boot-json, then the short summary on stdout (the serial console). The
// console's last line says where the details are.
void report_boot(const Evidence& evidence, const Verdict& verdict, const Options& options) {
  const std::string json = render_json(evidence, verdict);
  std::cerr << json;
  std::cerr.flush();
  std::string error;
  std::string details = options.boot_json;
  if (!write_boot_json(options.boot_json, json, &error)) {
    std::cout << boot_line("warning: report not saved: " + error);
    details = "journalctl -u ssm-reach-boot";
  }
  std::cout << render_boot_summary(verdict, details);
}

// Diagnoses, prints the report, and returns the exit status.
int report(const Evidence& evidence, const Options& options, TextStyle style,
           const std::string& replay_of = "") {
  const Verdict verdict = diagnose(evidence);
  if (options.boot)
    report_boot(evidence, verdict, options);
  else if (options.output == OutputFormat::json)
    std::cout << render_json(evidence, verdict);
  else
    std::cout << render_text(evidence, verdict, style, replay_of);
  std::cout.flush();
  return exit_code(verdict.status);
}

// A live run: the evidence, then the same diagnosis and report as explain.
int run(const Options& options) {
  const auto started = netcheck::Clock::now();
  // Only a live run needs OpenSSL, libcurl and c-ares (a millisecond or two
  // of CPU): --version, --help and explain do without.
  std::string error;
  if (!netcheck::global_init(&error)) {
    std::cerr << "ssm-reach: " << error << "\n";
    return 3;
  }
  const GetEnv env = process_environment();
  const Evidence evidence = gather_live_evidence(options, env, started);
  const int code = report(evidence, options, TextStyle{want_color(env), 80});
  // A file that cannot be written does not change what the run found: the
  // exit status stays the diagnosis's (monitoring relies on it), and stderr
  // says why the file is missing.
  std::string save_error;
  if (options.save_evidence && !save_evidence_file(*options.save_evidence, evidence, &save_error))
    std::cerr << "ssm-reach: warning: evidence not saved: " << save_error << "\n";
  return code;
}

// `ssm-reach explain FILE`: the same diagnosis and report on recorded
// evidence; nothing is contacted. An unusable file is exit 3 (unknown).
int explain(const Options& options) {
  std::string error;
  auto evidence = load_evidence_file(*options.explain_file, &error);
  if (!evidence) {
    std::cerr << "ssm-reach: explain: " << error << "\n";
    return 3;
  }
  return report(*evidence, options, TextStyle{want_color(process_environment()), 80},
                *options.explain_file);
}

}  // namespace
}  // namespace ssmreach

int main(int argc, char** argv) {
  // A peer that resets the connection must not kill us with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  auto parsed = ssmreach::parse_command_line(argc, argv);
  if (parsed.exit_code) {
    (*parsed.exit_code == 0 ? std::cout : std::cerr)
        << parsed.message << (parsed.message.ends_with('\n') ? "" : "\n");
    return *parsed.exit_code;
  }
  try {
    if (parsed.options.explain_file) return ssmreach::explain(parsed.options);
    return ssmreach::run(parsed.options);
  } catch (const std::exception& e) {
    std::cerr << "ssm-reach: internal error: " << e.what() << "\n";
    return 3;
  }
}
