// The handle's async side: calls in flight whose completion is queued instead of waking a thread, and the
// readiness descriptor ferry_fd() returns (an epoll set of the completion eventfd, a deadline timerfd and
// the current socket; README.md "Async" says why).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "connection.hpp"
#include "ferry.h"

namespace ferry::clib {

/// One async call: its waiter (in the connection's table while pending), what to call back, and the
/// outcome once completed. Owned by the async_state's maps until its callback has run.
struct async_call : waiter {
  std::uint32_t proc = 0;
  std::uint32_t xid = 0;
  clock::time_point deadline;
  ferry_async_callback callback = nullptr;
  void* user = nullptr;
  std::shared_ptr<connection> conn;  // the connection it was sent on (for cancel at its deadline)
  outcome result;                    // code 0: `reply` holds the reply record
  bool sent = false;                 // under async_state's lock: xid is valid, the deadline counts
};

class async_state final : public async_sink {
 public:
  async_state() = default;
  ~async_state();
  async_state(const async_state&) = delete;
  async_state& operator=(const async_state&) = delete;

  /// Creates the descriptors on first use. Callers hold the handle's lock.
  outcome ready_fd(int& fd);
  /// The socket of the handle's current connection joins / leaves the readiness set (handle lock held).
  void watch_socket(int fd);
  void unwatch_socket();

  /// A submitted call becomes pending (before it is sent, so its reply cannot outrun it).
  void add_pending(std::shared_ptr<async_call> c);
  /// The call is on the wire with `xid`: from now on its deadline is watched.
  void mark_sent(async_call* c, std::uint32_t xid);
  /// Submission failed: if the call is still pending it is dropped (no callback) and true is returned;
  /// false means it was already completed (its callback will report the failure).
  bool drop_if_pending(async_call* c);
  /// Completes every pending call whose deadline has passed with FERRY_TIMEDOUT.
  void expire(clock::time_point now);
  /// Takes the completed calls (in completion order) and clears the readiness of the queue.
  std::vector<std::shared_ptr<async_call>> take_completed();
  /// In a forked child: forget the parent's calls (the parent runs their callbacks) and replace the
  /// descriptors, shared with the parent, by fresh ones under the same numbers.
  void reset_in_child() noexcept;

  void completed(waiter& w, outcome o) noexcept override;

  // fork support: held across fork() after the connection's locks.
  void lock_for_fork() { mu_.lock(); }
  void unlock_after_fork() { mu_.unlock(); }

 private:
  void rearm_timer_locked() noexcept;  // to the earliest pending deadline, or off
  void arm_locked(clock::time_point at) noexcept;

  std::mutex mu_;  // below; taken after a connection's table lock, never before
  std::unordered_map<async_call*, std::shared_ptr<async_call>> pending_;
  std::vector<std::shared_ptr<async_call>> completed_;
  int epoll_fd_ = -1;
  int event_fd_ = -1;  // readable while completed_ is not empty
  int timer_fd_ = -1;  // readable once the earliest pending deadline has passed
  int socket_fd_ = -1;  // the watched socket
  bool armed_ = false;  // the timer's setting (kept even before the timerfd exists)
  clock::time_point armed_at_{};
};

}  // namespace ferry::clib
