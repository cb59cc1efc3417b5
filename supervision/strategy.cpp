// Restart strategies as pure functions over child views; the supervisor turns
// the result into stop and start steps.
#include "supervision/strategy.hpp"

namespace supervision {

namespace {

// Stops the running children in [first, end) except `ended`, newest first, and
// restarts `ended` plus every non-temporary child of the range in order.
restart_set restart_range(const std::vector<child_view>& children, std::size_t first,
                          std::size_t ended) {
  restart_set result;
  for (auto i = children.size(); i-- > first;)
    if (i != ended && children[i].running)
      result.stop.push_back(i);
  for (auto i = first; i < children.size(); ++i)
    if (i == ended || children[i].restart != restart_type::temporary)
      result.start.push_back(i);
  return result;
}

} // namespace

restart_set one_for_one(const std::vector<child_view>&, std::size_t ended) {
  return {{}, {ended}};
}

restart_set one_for_all(const std::vector<child_view>& children, std::size_t ended) {
  return restart_range(children, 0, ended);
}

restart_set rest_for_one(const std::vector<child_view>& children, std::size_t ended) {
  return restart_range(children, ended, ended);
}

restart_set plan_restart(restart_strategy s, const std::vector<child_view>& children,
                         std::size_t ended) {
  switch (s) {
    case restart_strategy::one_for_all: return one_for_all(children, ended);
    case restart_strategy::rest_for_one: return rest_for_one(children, ended);
    case restart_strategy::one_for_one:
    case restart_strategy::simple_one_for_one: break;
  }
  return one_for_one(children, ended);
}

} // namespace supervision
