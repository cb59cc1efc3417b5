// Names of the enums that appear in replies and reports, so that CAF's
// deep_to_string and the event log print words rather than numbers.
#include "supervision/messages.hpp"

namespace supervision {

std::string to_string(child_status x) {
  switch (x) {
    case child_status::running: return "running";
    case child_status::restarting: return "restarting";
    case child_status::stopped: return "stopped";
  }
  return "unknown";
}

std::string to_string(child_type x) {
  return x == child_type::supervisor ? "supervisor" : "worker";
}

std::string to_string(restart_type x) {
  switch (x) {
    case restart_type::permanent: return "permanent";
    case restart_type::transient: return "transient";
    case restart_type::temporary: return "temporary";
  }
  return "unknown";
}

} // namespace supervision
