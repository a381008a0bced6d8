#include "probe/watch.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <sstream>

#include "netcheck/clock.h"
#include "probe/diagnose/diagnosis.h"
#include "probe/live_run.h"
#include "probe/report/report_prometheus.h"
#include "probe/report/textfile.h"
#include "probe/util/environment.h"
#include "probe/util/printable.h"
#include "probe/util/standard_streams.h"
#include "probe/watch_log.h"

namespace ssmreach {
namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_stop_signal(int) {
  g_stop = 1;
  static const char kSaid[] =
      "\nssm-reach: stopping after this run; the summary follows (again: quit at once)\n";
  // write(2) is async-signal-safe; its result does not matter here.
  [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, kSaid, sizeof kSaid - 1);
}

// SIGINT and SIGTERM set g_stop once; the handler then resets itself, so a
// second signal ends the program the default way.
void catch_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

// Sleeps until `until` or a stop signal, whichever comes first. The signals
// are blocked while g_stop is tested and unblocked atomically by ppoll, so
// one that arrives in between is not lost for a whole interval.
void sleep_until(netcheck::TimePoint until) {
  sigset_t stops, previous;
  sigemptyset(&stops);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &stops, &previous);
  for (auto now = netcheck::Clock::now(); !g_stop && now < until; now = netcheck::Clock::now()) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(until - now);
    timespec wait{static_cast<time_t>(left.count() / 1'000'000'000),
                  static_cast<long>(left.count() % 1'000'000'000)};
    ::ppoll(nullptr, 0, &wait, &previous);
  }
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
}

std::string utc_text(const char* format) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, format, &tm);
  return text;
}

std::string seconds_words(double s) {
  std::ostringstream out;
  out << s << " s";
  return out.str();
}

}  // namespace

int run_watch(const Options& options) {
  catch_stop_signals();
  const GetEnv env = process_environment();
  const auto interval = std::chrono::duration_cast<netcheck::Duration>(
      std::chrono::duration<double>(*options.watch_s));
  const std::string began = utc_text("%H:%M:%S");
  write_stdout("Watching every " + seconds_words(*options.watch_s) + " from " +
               utc_text("%Y-%m-%dT%H:%M:%SZ") + "; Ctrl-C prints the summary.\n");
  WatchLog log;
  std::string last_textfile_error;
  while (!g_stop) {
    const auto started = netcheck::Clock::now();
    std::string error;
    const Evidence evidence = gather_live_evidence(options, env, started);
    const Verdict verdict = diagnose(evidence);
    for (const auto& line : log.add(verdict, utc_text("%H:%M:%S"))) write_stdout(line + "\n");
    if (checked_stdout().failure()) break;  // stdout is gone (a closed pipe): nobody reads on
    if (options.textfile) {
      // Said once per distinct problem, not every interval.
      if (!write_textfile(*options.textfile, render_prometheus(evidence, verdict), &error) &&
          error != last_textfile_error)
        write_stderr("ssm-reach: warning: textfile not written: " + printable_line(error) + "\n");
      last_textfile_error = error;
    }
    sleep_until(started + interval);
  }
  write_stdout("\n" + log.summary("from " + began + " to " + utc_text("%H:%M:%S") + " UTC"));
  return exit_code(log.worst());
}

}  // namespace ssmreach
