// A task that only waits: it calls back once its instant has come, or when
// the run's deadline abandons it first (then with `abandoned` true, so the
// caller can settle what it was waiting to do instead of doing it).
#pragma once

#include <functional>
#include <memory>

#include "netcheck/clock.h"
#include "netcheck/event_loop.h"

namespace netcheck {

std::unique_ptr<Task> make_timer_task(TimePoint at, std::function<void(bool abandoned)> on_fire);

}  // namespace netcheck
