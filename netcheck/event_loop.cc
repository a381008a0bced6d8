#include "netcheck/event_loop.h"

#include <algorithm>
#include <cerrno>
#include <ctime>

namespace netcheck {

void EventLoop::add(std::unique_ptr<Task> task) { incoming_.push_back(std::move(task)); }

namespace {

// To the nanosecond (ppoll): a wake-up rounded to whole milliseconds would
// add up to a millisecond to every timer on the path (libcurl's, c-ares'),
// and at 1 ms round trips that is a round trip each. The kernel never wakes
// early, so a task's instant has come when it is called, and nothing spins.
timespec poll_timeout(TimePoint now, TimePoint until) {
  if (until <= now) return timespec{0, 0};
  const auto left = std::min<Duration>(until - now, std::chrono::hours(24));
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
  return timespec{static_cast<time_t>(seconds.count()),
                  static_cast<long>(std::chrono::nanoseconds(left - seconds).count())};
}

}  // namespace

bool EventLoop::run(TimePoint deadline, const std::function<bool()>& enough) {
  std::vector<pollfd> fds;
  std::vector<std::size_t> first;  // index of each task's first pollfd
  for (;;) {
    for (auto& t : incoming_) tasks_.push_back(std::move(t));
    incoming_.clear();
    std::erase_if(tasks_, [](const auto& t) { return t->done(); });
    if (tasks_.empty() || (enough && enough())) return true;

    TimePoint now = Clock::now();
    if (now >= deadline) {
      // Abandoning may add follow-up tasks; those are abandoned too.
      while (!tasks_.empty()) {
        for (auto& t : tasks_)
          if (!t->done()) t->abandon(now);
        tasks_.clear();
        for (auto& t : incoming_) tasks_.push_back(std::move(t));
        incoming_.clear();
      }
      return false;
    }

    fds.clear();
    first.clear();
    TimePoint wake = deadline;
    for (auto& t : tasks_) {
      first.push_back(fds.size());
      t->want(fds);
      wake = std::min(wake, t->wake_at());
    }
    first.push_back(fds.size());

    const timespec timeout = poll_timeout(now, wake);
    int rc = ::ppoll(fds.data(), fds.size(), &timeout, nullptr);
    if (rc < 0 && errno != EINTR) {
      // poll itself failed (EINVAL/ENOMEM): nothing can make progress.
      TimePoint at = Clock::now();
      for (auto& t : tasks_) t->abandon(at);
      tasks_.clear();
      return false;
    }
    if (rc < 0) continue;

    now = Clock::now();
    // Index loop: on_events may add tasks (to incoming_), never to tasks_.
    for (std::size_t i = 0; i < tasks_.size(); ++i) {
      std::span<const pollfd> slice(fds.data() + first[i], first[i + 1] - first[i]);
      tasks_[i]->on_events(slice, now);
    }
  }
}

}  // namespace netcheck
