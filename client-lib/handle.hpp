// ferry_t: the socket path, the current connection (replaced when it breaks or after fork), and the
// retry rule. Every handle is registered so pthread_atfork can hold its locks across fork().
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "async.hpp"
#include "connection.hpp"

struct ferry_handle {
  std::string path;
  std::mutex mu;  // conn and pid; held while connecting, never while a call waits
  std::shared_ptr<ferry::clib::connection> conn;
  pid_t pid = 0;
  ferry::clib::async_state async;  // async calls in flight, their completions, ferry_fd()
  ferry_handle* prev = nullptr;  // the fork registry, under its global lock
  ferry_handle* next = nullptr;
};

namespace ferry::clib {

/// Adds / removes a handle from the registry the fork handlers walk.
void register_handle(::ferry_handle* h);
void unregister_handle(::ferry_handle* h);

/// After fork(), in the child: drops what belongs to the parent (its connection, its async calls). Call
/// with h->mu held; a no-op in the process that opened the handle.
void adopt_process_locked(::ferry_handle* h);

/// The handle's connection for this process, connecting if there is none (or after fork).
outcome current_connection(::ferry_handle* h, clock::time_point deadline, std::shared_ptr<connection>& out);

/// One call with the retry rule: when the connection breaks (FERRY_E_CLOSED: ferryd restarted), the call
/// is sent once more on a new connection if its deadline allows. Every FERRY_CLIENT call is safe to
/// resend: GET/STAT are reads, and PUT/DELETE resend the same idempotency id, which ferryd applies once.
template <class EncodeBody>
outcome call(::ferry_handle* h, std::uint32_t proc, EncodeBody&& encode_body, clock::time_point deadline,
             std::vector<xdr::byte>& reply) {
  outcome last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::shared_ptr<connection> c;
    if (auto got = current_connection(h, deadline, c); got.code != 0) return got;
    last = c->round_trip(proc, encode_body, deadline, reply);
    if (last.code != FERRY_E_CLOSED || clock::now() >= deadline) return last;
  }
  return last;
}

}  // namespace ferry::clib
