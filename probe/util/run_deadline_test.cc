#include "probe/util/run_deadline.h"

#include <doctest/doctest.h>

#include <memory>

namespace ssmreach {

namespace {

using namespace std::chrono_literals;

// A peer that never answers: the task waits until `own_limit`, then ends
// with a timeout of its own; or it is abandoned first.
struct StuckTask final : netcheck::Task {
  StuckTask(netcheck::TimePoint own_limit, int* abandoned, int* timed_out)
      : own_limit_(own_limit), abandoned_(abandoned), timed_out_(timed_out) {}
  void want(std::vector<pollfd>&) override {}
  void on_events(std::span<const pollfd>, netcheck::TimePoint now) override {
    if (now >= own_limit_ && !done_) {
      done_ = true;
      ++*timed_out_;
    }
  }
  netcheck::TimePoint wake_at() const override { return own_limit_; }
  bool done() const override { return done_; }
  void abandon(netcheck::TimePoint) override {
    done_ = true;
    ++*abandoned_;
  }
  netcheck::TimePoint own_limit_;
  int* abandoned_;
  int* timed_out_;
  bool done_ = false;
};

}  // namespace

TEST_CASE("run deadline: cuts a wait whose own bound is later, and says so") {
  const auto start = netcheck::Clock::now();
  RunDeadline deadline(start + 200ms);
  netcheck::EventLoop loop;
  int abandoned = 0, timed_out = 0;
  loop.add(std::make_unique<StuckTask>(start + 1h, &abandoned, &timed_out));
  deadline.run(loop, start + 10s);
  const auto took = netcheck::Clock::now() - start;
  CHECK(took >= 200ms);
  // Structural, with room for a loaded machine: without the deadline the
  // wait would last until the 10 s backstop.
  CHECK(took < 5s);
  CHECK(abandoned == 1);
  CHECK(timed_out == 0);
  CHECK(deadline.reached());
}

TEST_CASE("run deadline: a wait that ends by its own bound does not count as reached") {
  const auto start = netcheck::Clock::now();
  RunDeadline deadline(start + 10s);
  netcheck::EventLoop loop;
  int abandoned = 0, timed_out = 0;
  // The loop's own bound (the backstop) comes first.
  loop.add(std::make_unique<StuckTask>(start + 1h, &abandoned, &timed_out));
  deadline.run(loop, start + 100ms);
  CHECK(abandoned == 1);
  CHECK_FALSE(deadline.reached());
  // A task that ends on its own before either bound.
  loop.add(std::make_unique<StuckTask>(netcheck::Clock::now() + 50ms, &abandoned, &timed_out));
  deadline.run(loop, netcheck::Clock::now() + 5s);
  CHECK(timed_out == 1);
  CHECK_FALSE(deadline.reached());
}

TEST_CASE("run deadline: a deadline already past ends the wait at once") {
  const auto start = netcheck::Clock::now();
  RunDeadline deadline(start - 1s);
  netcheck::EventLoop loop;
  int abandoned = 0, timed_out = 0;
  loop.add(std::make_unique<StuckTask>(start + 1h, &abandoned, &timed_out));
  deadline.run(loop, start + 10s);
  CHECK(netcheck::Clock::now() - start < 5s);  // not the 10 s backstop
  CHECK(abandoned == 1);
  CHECK(deadline.reached());
}

TEST_CASE("run deadline: cap shortens a wait to what is left, never below zero") {
  const auto now = netcheck::Clock::now();
  RunDeadline deadline(now + 2s);
  CHECK(deadline.cap(1s, now) == 1s);
  CHECK(deadline.cap(5s, now) == 2s);
  CHECK(deadline.cap(5s, now + 3s) == netcheck::Duration::zero());
}

}  // namespace ssmreach
