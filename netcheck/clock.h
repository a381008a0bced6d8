// Monotonic time for deadlines and measurements.
#pragma once

#include <chrono>

namespace netcheck {

using Clock = std::chrono::steady_clock;
using Duration = Clock::duration;
using TimePoint = Clock::time_point;

// Milliseconds between two instants, as a double: evidence reports sub-ms
// latencies (loopback, same-AZ endpoint ENIs) and these must not round to 0.
inline double ms_between(TimePoint from, TimePoint to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

inline Duration seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

}  // namespace netcheck
