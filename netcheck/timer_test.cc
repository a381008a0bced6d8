#include "netcheck/timer.h"

#include <doctest/doctest.h>

namespace netcheck {
namespace {

using namespace std::chrono_literals;

TEST_CASE("timer: fires once its instant has come, not before") {
  EventLoop loop;
  const auto start = Clock::now();
  TimePoint fired_at{};
  int calls = 0;
  bool was_abandoned = true;
  loop.add(make_timer_task(start + 30ms, [&](bool abandoned) {
    fired_at = Clock::now();
    was_abandoned = abandoned;
    ++calls;
  }));
  CHECK(loop.run(start + 5s));
  CHECK(calls == 1);
  CHECK_FALSE(was_abandoned);
  CHECK(fired_at >= start + 30ms);
}

TEST_CASE("timer: a deadline before its instant abandons it, and it says so") {
  EventLoop loop;
  const auto start = Clock::now();
  int calls = 0;
  bool was_abandoned = false;
  loop.add(make_timer_task(start + 10s, [&](bool abandoned) {
    was_abandoned = abandoned;
    ++calls;
  }));
  CHECK_FALSE(loop.run(start + 20ms));
  CHECK(calls == 1);
  CHECK(was_abandoned);
}

TEST_CASE("timer: may add a task from its callback") {
  EventLoop loop;
  const auto start = Clock::now();
  int second = 0;
  loop.add(make_timer_task(start + 5ms, [&](bool) {
    loop.add(make_timer_task(Clock::now() + 5ms, [&](bool abandoned) { second += !abandoned; }));
  }));
  CHECK(loop.run(start + 5s));
  CHECK(second == 1);
}

}  // namespace
}  // namespace netcheck
