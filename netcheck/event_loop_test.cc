#include "netcheck/event_loop.h"

#include <doctest/doctest.h>

namespace netcheck {
namespace {

using namespace std::chrono_literals;

// Done once `at` passes; counts abandonments.
class TimerTask : public Task {
 public:
  TimerTask(TimePoint at, int* abandoned) : at_(at), abandoned_(abandoned) {}
  void want(std::vector<pollfd>&) override {}
  void on_events(std::span<const pollfd>, TimePoint now) override { done_ = now >= at_; }
  TimePoint wake_at() const override { return at_; }
  bool done() const override { return done_; }
  void abandon(TimePoint) override {
    ++*abandoned_;
    done_ = true;
  }

 private:
  TimePoint at_;
  int* abandoned_;
  bool done_ = false;
};

TEST_CASE("run returns when enough, leaving the other tasks for a later run") {
  EventLoop loop;
  int abandoned = 0;
  const auto start = Clock::now();
  loop.add(std::make_unique<TimerTask>(start + 10ms, &abandoned));
  loop.add(std::make_unique<TimerTask>(start + 10s, &abandoned));
  bool enough = false;
  loop.add(std::make_unique<TimerTask>(start + 10ms, &abandoned));
  // "Enough" once the short timers fired: one task is still pending.
  CHECK(loop.run(start + 5s, [&] { return enough = loop.pending() == 1; }));
  CHECK(enough);
  CHECK(Clock::now() - start < 5s);  // not the 10 s timer: room for a loaded machine
  CHECK(abandoned == 0);
  CHECK(loop.pending() == 1);
  CHECK(loop.run(start + 20s));
  CHECK(abandoned == 0);
  CHECK(loop.pending() == 0);
}

TEST_CASE("run still abandons at the deadline when never enough") {
  EventLoop loop;
  int abandoned = 0;
  const auto start = Clock::now();
  loop.add(std::make_unique<TimerTask>(start + 5s, &abandoned));
  CHECK_FALSE(loop.run(start + 20ms, [] { return false; }));
  CHECK(abandoned == 1);
}

}  // namespace
}  // namespace netcheck
