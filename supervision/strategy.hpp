// The four restart strategies, one small function each, read like the OTP
// manual: given the children in start order and the one that ended, which to stop and which to start.
#pragma once

#include <cstddef>
#include <vector>

#include "supervision/spec.hpp"

namespace supervision {

/// What a strategy needs to know about a child.
struct child_view {
  restart_type restart;
  bool running;
};

struct restart_set {
  std::vector<std::size_t> stop;  ///< indices, in stop order (reverse start order)
  std::vector<std::size_t> start; ///< indices, in start order
};

/// Only the child that ended.
restart_set one_for_one(const std::vector<child_view>& children, std::size_t ended);

/// Every other running child is stopped; all children but temporary ones are
/// started again (a temporary sibling stopped here is dropped, as in OTP).
restart_set one_for_all(const std::vector<child_view>& children, std::size_t ended);

/// As one_for_all, restricted to the ended child and those started after it.
restart_set rest_for_one(const std::vector<child_view>& children, std::size_t ended);

/// Dispatches on `s`; simple_one_for_one behaves as one_for_one.
restart_set plan_restart(restart_strategy s, const std::vector<child_view>& children,
                         std::size_t ended);

} // namespace supervision
