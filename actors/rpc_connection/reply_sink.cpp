#include "actors/rpc_connection/reply_sink.hpp"

#include <caf/send.hpp>

namespace ferry::actors {

reply_sink::~reply_sink() {
  if (auto to = caf::actor_cast<caf::actor>(notify_)) caf::anon_send(to, sink_released_atom::value, notify_id_);
}

}  // namespace ferry::actors
