#include "netcheck/event_loop.h"

#include <algorithm>
#include <cerrno>
#include <climits>

namespace netcheck {

void EventLoop::add(std::unique_ptr<Task> task) { incoming_.push_back(std::move(task)); }

namespace {

int poll_timeout_ms(TimePoint now, TimePoint until) {
  if (until <= now) return 0;
  // Round up: waking a little late is harmless, spinning on 0 ms is not.
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() + 1;
  return static_cast<int>(std::min<long long>(ms, INT_MAX));
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

    int rc = ::poll(fds.data(), fds.size(), poll_timeout_ms(now, wake));
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
