// The whole run's limit (--deadline): whatever peers do, every wait of the
// run ends by it, so the report always comes out in time.
#pragma once

#include "netcheck/clock.h"
#include "netcheck/event_loop.h"

namespace ssmreach {

class RunDeadline {
 public:
  explicit RunDeadline(netcheck::TimePoint at) : at_(at) {}

  netcheck::TimePoint at() const { return at_; }

  // Runs `loop` until its tasks are done or `until` passes, but never past
  // the deadline: tasks still running then are abandoned, and each reports
  // a timeout of its own layer (dns, tcp, tls, http, IMDS).
  // With `enough`, it may also return early, nothing abandoned (EventLoop::run).
  void run(netcheck::EventLoop& loop, netcheck::TimePoint until,
           const std::function<bool()>& enough = {});

  // A wait was cut short by the deadline (not by its own bound).
  bool reached() const { return reached_; }

  // `wanted`, shortened so that it ends by the deadline (never negative).
  netcheck::Duration cap(netcheck::Duration wanted, netcheck::TimePoint now) const;

 private:
  netcheck::TimePoint at_;
  bool reached_ = false;
};

}  // namespace ssmreach
