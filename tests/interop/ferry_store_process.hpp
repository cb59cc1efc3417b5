// The real ferry-store binary for the interop tests: started in memory on 127.0.0.1 with port 0, its
// port read from its first line of stdout. child_process kills and reaps it whatever the test does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace ferry::interop {

struct ferry_store_process {
  std::unique_ptr<test::child_process> process;
  std::uint16_t port = 0;
};

/// Starts `ferry-store --listen 127.0.0.1:0 --memory --log-level warn` plus `extra_args` and waits (at
/// most 20 s) for "ferry-store listening on 127.0.0.1:PORT". Throws std::runtime_error naming what it
/// got instead; the half-started process is reaped before the exception leaves.
ferry_store_process start_ferry_store(const std::vector<std::string>& extra_args = {});

}  // namespace ferry::interop
