#include "probe/util/run_deadline.h"

#include <algorithm>

namespace ssmreach {

void RunDeadline::run(netcheck::EventLoop& loop, netcheck::TimePoint until,
                      const std::function<bool()>& enough) {
  const bool deadline_first = at_ <= until;
  const bool finished = loop.run(deadline_first ? at_ : until, enough);
  if (!finished && deadline_first) reached_ = true;
}

netcheck::Duration RunDeadline::cap(netcheck::Duration wanted, netcheck::TimePoint now) const {
  return std::clamp<netcheck::Duration>(at_ - now, netcheck::Duration::zero(), wanted);
}

}  // namespace ssmreach
