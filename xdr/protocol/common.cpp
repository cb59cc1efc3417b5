// Names and human messages for the shared status codes.
#include "xdr/protocol/common.hpp"

namespace ferry::proto {

std::string_view to_string(status s) noexcept {
  switch (s) {
    case status::ok: return "OK";
    case status::not_found: return "NOT_FOUND";
    case status::exists: return "EXISTS";
    case status::too_big: return "TOO_BIG";
    case status::bad_key: return "BAD_KEY";
    case status::timedout: return "TIMEDOUT";
    case status::unavailable: return "UNAVAILABLE";
    case status::overloaded: return "OVERLOADED";
    case status::no_space: return "NO_SPACE";
    case status::io_error: return "IO_ERROR";
    case status::conflict: return "CONFLICT";
    case status::bad_request: return "BAD_REQUEST";
    case status::shutting_down: return "SHUTTING_DOWN";
    case status::no_upload: return "NO_UPLOAD";
    case status::bad_range: return "BAD_RANGE";
    case status::internal: return "INTERNAL";
  }
  return "UNKNOWN_STATUS";
}

std::string_view describe(status s) noexcept {
  switch (s) {
    case status::ok: return "success";
    case status::not_found: return "no object has this key";
    case status::exists: return "an object with this key already exists";
    case status::too_big: return "the value or chunk is larger than the configured maximum";
    case status::bad_key: return "the key is empty or longer than 1024 bytes";
    case status::timedout: return "the deadline passed before the request completed";
    case status::unavailable: return "no data server holding this key could be reached";
    case status::overloaded: return "the server is over its load limits; retry later";
    case status::no_space: return "the data server is out of disk space";
    case status::io_error: return "the data server failed to read or write its disk";
    case status::conflict: return "a newer version of this key was already stored";
    case status::bad_request: return "the request is malformed or its arguments are invalid";
    case status::shutting_down: return "the server is shutting down";
    case status::no_upload: return "no open upload has this id";
    case status::bad_range: return "the offset or length lies outside the object";
    case status::internal: return "internal error in the server";
  }
  return "unknown status code";
}

}  // namespace ferry::proto
