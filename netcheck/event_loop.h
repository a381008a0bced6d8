// One poll(2) loop that drives every probe of a run concurrently.
//
// Each probe is a Task: a small state machine that says which descriptors it
// waits on and when it must be woken regardless (its own timeout). The loop
// polls the union of all descriptors once per iteration, hands every task the
// slice of pollfds it asked for, and stops when all tasks are done or the
// run's deadline passes. Tasks may add follow-up tasks from their callbacks
// (DNS answer -> one TCP task per address -> TLS on the connected socket), so
// a whole probe plan runs in one thread, with no locks, under one deadline.
#pragma once

#include <poll.h>

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "netcheck/clock.h"

namespace netcheck {

class Task {
 public:
  virtual ~Task() = default;

  // Appends the descriptors (and events) this task waits on now.
  virtual void want(std::vector<pollfd>& fds) = 0;

  // Called once per loop iteration with exactly the pollfds this task added
  // in want() (revents filled in; possibly none ready). The task checks its
  // own timers against `now` here as well.
  virtual void on_events(std::span<const pollfd> fds, TimePoint now) = 0;

  // The latest instant by which on_events must be called even without I/O.
  virtual TimePoint wake_at() const = 0;

  virtual bool done() const = 0;

  // The run's overall deadline passed first: finish now, reporting a timeout.
  virtual void abandon(TimePoint now) = 0;
};

class EventLoop {
 public:
  EventLoop() = default;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Adds a task; safe to call from inside a task's callbacks.
  void add(std::unique_ptr<Task> task);

  // Runs until every task is done or `deadline` passes (then every unfinished
  // task is abandoned). Returns true when all tasks finished on their own.
  // With `enough`, also returns (true, nothing abandoned) as soon as it
  // says so after an iteration: the caller needs one answer, not all, and
  // a later run() carries on with the tasks still pending.
  bool run(TimePoint deadline, const std::function<bool()>& enough = {});

  std::size_t pending() const { return tasks_.size() + incoming_.size(); }

 private:
  std::vector<std::unique_ptr<Task>> tasks_;
  std::vector<std::unique_ptr<Task>> incoming_;
};

}  // namespace netcheck
