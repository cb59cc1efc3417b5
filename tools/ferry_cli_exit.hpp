// The ferry CLI's exit codes: one per class of failure, so scripts can tell "retry later" from "fix the
// request" from "ferryd is not there". The table is repeated in `ferry --help` and tools/README.md.
#pragma once

#include <string_view>

namespace ferry::cli {

enum class exit_code : int {
  ok = 0,
  not_found = 1,    // NOT_FOUND
  usage = 2,        // bad command line
  retryable = 3,    // TIMEDOUT, UNAVAILABLE, OVERLOADED, SHUTTING_DOWN, IO_ERROR, INTERNAL, connection lost
  refused = 4,      // BAD_KEY, TOO_BIG, EXISTS, CONFLICT, NO_SPACE, BAD_REQUEST, ... and invalid arguments
  unreachable = 5,  // ferryd could not be reached, or what answered is not a FERRY_CLIENT v1 server
  local_io = 6,     // reading the input or writing the output failed, or out of memory
};

/// The class of a ferry.h status (FERRY_OK is ok).
exit_code classify(int status) noexcept;

/// The status's name as in ferry.h without the FERRY_ prefix ("NOT_FOUND", "E_CONNECT"), for JSON.
std::string_view status_name(int status) noexcept;

/// The exit code table for --help and the README.
std::string_view exit_code_table() noexcept;

}  // namespace ferry::cli
