// Status -> exit class, status names, and the documented table. Kept in one place so --help, the README
// and the code cannot drift apart silently (the CLI test checks --help against classify()).
#include "ferry_cli_exit.hpp"

#include "ferry.h"

namespace ferry::cli {

exit_code classify(int status) noexcept {
  switch (status) {
    case FERRY_OK: return exit_code::ok;
    case FERRY_NOT_FOUND: return exit_code::not_found;
    case FERRY_TIMEDOUT:
    case FERRY_UNAVAILABLE:
    case FERRY_OVERLOADED:
    case FERRY_SHUTTING_DOWN:
    case FERRY_IO_ERROR:  // the store's disk: another replica or a later try may succeed
    case FERRY_INTERNAL:
    case FERRY_E_CLOSED: return exit_code::retryable;
    case FERRY_E_CONNECT:
    case FERRY_E_PROTOCOL:
    case FERRY_E_RPC: return exit_code::unreachable;
    case FERRY_E_NOMEM: return exit_code::local_io;
    default: return exit_code::refused;  // EXISTS, TOO_BIG, BAD_KEY, NO_SPACE, CONFLICT, BAD_REQUEST, ...
  }
}

std::string_view status_name(int status) noexcept {
  switch (status) {
    case FERRY_OK: return "OK";
    case FERRY_NOT_FOUND: return "NOT_FOUND";
    case FERRY_EXISTS: return "EXISTS";
    case FERRY_TOO_BIG: return "TOO_BIG";
    case FERRY_BAD_KEY: return "BAD_KEY";
    case FERRY_TIMEDOUT: return "TIMEDOUT";
    case FERRY_UNAVAILABLE: return "UNAVAILABLE";
    case FERRY_OVERLOADED: return "OVERLOADED";
    case FERRY_NO_SPACE: return "NO_SPACE";
    case FERRY_IO_ERROR: return "IO_ERROR";
    case FERRY_CONFLICT: return "CONFLICT";
    case FERRY_BAD_REQUEST: return "BAD_REQUEST";
    case FERRY_SHUTTING_DOWN: return "SHUTTING_DOWN";
    case FERRY_NO_UPLOAD: return "NO_UPLOAD";
    case FERRY_BAD_RANGE: return "BAD_RANGE";
    case FERRY_INTERNAL: return "INTERNAL";
    case FERRY_E_CONNECT: return "E_CONNECT";
    case FERRY_E_PROTOCOL: return "E_PROTOCOL";
    case FERRY_E_CLOSED: return "E_CLOSED";
    case FERRY_E_INVALID: return "E_INVALID";
    case FERRY_E_BUFFER_TOO_SMALL: return "E_BUFFER_TOO_SMALL";
    case FERRY_E_NOMEM: return "E_NOMEM";
    case FERRY_E_RPC: return "E_RPC";
    default: return "UNKNOWN";
  }
}

std::string_view exit_code_table() noexcept {
  return "Exit codes:\n"
         "  0  ok\n"
         "  1  not found (NOT_FOUND)\n"
         "  2  usage: bad command line\n"
         "  3  retryable: TIMEDOUT, UNAVAILABLE, OVERLOADED, SHUTTING_DOWN, IO_ERROR, INTERNAL, connection lost\n"
         "  4  refused: BAD_KEY, TOO_BIG, EXISTS, CONFLICT, NO_SPACE, BAD_REQUEST and other statuses\n"
         "  5  cannot reach ferryd (E_CONNECT), or it does not speak FERRY_CLIENT v1 (E_PROTOCOL, E_RPC)\n"
         "  6  local I/O error reading the input or writing the output (or out of memory)\n";
}

}  // namespace ferry::cli
