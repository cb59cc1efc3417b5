// --idle N: open N sessions to the target, prove each with an answered NULL call, report the resident
// memory the --pids grew by per session, keep them open --hold-seconds, then close them.
#pragma once

#include <string>

#include "options.hpp"
#include "report.hpp"

namespace ferry::bench {

/// Prints the report to stdout; the exit status: 0 when every session opened.
int run_idle(const options& o, output_format f);

}  // namespace ferry::bench
