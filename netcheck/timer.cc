#include "netcheck/timer.h"

namespace netcheck {
namespace {

class TimerTask final : public Task {
 public:
  TimerTask(TimePoint at, std::function<void(bool)> on_fire)
      : at_(at), on_fire_(std::move(on_fire)) {}

  void want(std::vector<pollfd>&) override {}
  void on_events(std::span<const pollfd>, TimePoint now) override {
    if (!done_ && now >= at_) fire(false);
  }
  TimePoint wake_at() const override { return at_; }
  bool done() const override { return done_; }
  void abandon(TimePoint) override {
    if (!done_) fire(true);
  }

 private:
  void fire(bool abandoned) {
    done_ = true;
    if (on_fire_) on_fire_(abandoned);
  }

  TimePoint at_;
  std::function<void(bool)> on_fire_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<Task> make_timer_task(TimePoint at, std::function<void(bool abandoned)> on_fire) {
  return std::make_unique<TimerTask>(at, std::move(on_fire));
}

}  // namespace netcheck
