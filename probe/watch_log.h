// --watch's memory: each run's verdict reduced to what changes (a target's
// status and cause, each address working or not), the lines that say what
// changed, and the summary at the end with failures per address and the
// flapping ones named.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "probe/diagnose/verdict.h"

namespace ssmreach {

class WatchLog {
 public:
  // At most this many targets and addresses are followed (DNS answers that
  // rotate through many public addresses must not grow the memory without
  // bound); later ones are counted in the summary.
  static constexpr std::size_t kMaxTracks = 512;

  // Adds the next run's verdict, finished at `clock` ("10:00:05", UTC), and
  // returns the lines to print: for the first run where every target
  // stands, then only what changed. Each line at most 80 columns.
  std::vector<std::string> add(const Verdict& verdict, const std::string& clock);

  // Per target and address: failed runs, changes, the last cause, and the
  // flapping ones named ("Flapping: ENI 10.0.1.13 (ssm) failed 3 of 7 runs
  // in 2 separate spells"). `span` says when the runs were.
  std::string summary(const std::string& span) const;

  int runs() const { return runs_; }
  // The worst result of any run (the watch's exit status).
  Status worst() const { return worst_; }

 private:
  // One target (ip empty) or one address of a target.
  struct Track {
    std::string target;
    std::string ip;
    std::string address_class{};
    bool seen = false;
    bool bad = false;
    Status status = Status::ok;  // targets only
    std::optional<Cause> cause{};
    int runs = 0;
    int failed = 0;
    int changes = 0;
    int spells = 0;  // separate stretches of failed runs
    std::optional<Cause> last_failure{};

    bool flapping() const { return spells >= 2; }
  };

  Track* track(const std::string& target, const std::string& ip);
  void observe_target(const TargetVerdict& target, const std::string& prefix,
                      std::vector<std::string>& lines);
  void observe_address(const TargetVerdict& target, const AddressVerdict& address,
                       const std::string& prefix, std::vector<std::string>& lines);
  std::string flapping_sentence(const Track& t) const;

  std::vector<Track> tracks_;
  std::size_t untracked_ = 0;
  int runs_ = 0;
  Status worst_ = Status::ok;
  std::optional<Status> last_status_;
};

}  // namespace ssmreach
