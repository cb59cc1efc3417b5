// One FERRY_CLIENT connection: a non-blocking AF_UNIX socket, a writer lock held only while a call is
// written, and an xid table whose waiters are served by leader/follower reading (see README.md).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ferry.h"
#include "shm.hpp"
#include "xdr/bytes.hpp"
#include "xdr/encoder.hpp"

namespace ferry::clib {

using clock = std::chrono::steady_clock;

/// What an internal step ended with: a ferry.h status plus the errno behind it, if any.
struct outcome {
  int code = 0;
  int sys_errno = 0;
};

struct waiter;

/// Where an async call's waiter goes when it leaves the table: instead of waking a thread, the connection
/// hands it over (reply in `w.reply`, or the failure in `o`) exactly once, with the table lock held.
class async_sink {
 public:
  virtual void completed(waiter& w, outcome o) noexcept = 0;

 protected:
  ~async_sink() = default;
};

/// A caller waiting for the reply with its xid. A sync caller's lives on its stack while it is in the
/// table; an async call's is part of its heap record and has a sink.
struct waiter {
  std::condition_variable cv;
  bool done = false;
  std::vector<xdr::byte> reply;  // the whole RPC reply record
  async_sink* sink = nullptr;    // non-null: an async call, completed through the sink, never woken
};

class connection {
 public:
  /// Connects to `path` before `deadline`; FERRY_E_CONNECT with errno on failure.
  static outcome open(const std::string& path, clock::time_point deadline, std::shared_ptr<connection>& out);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Sends one call (built by `encode_body` after the header with the chosen xid) and waits for its reply
  /// record until `deadline`. FERRY_E_CLOSED means the connection broke (the call may or may not have run).
  /// `pass_fd` >= 0 goes along as SCM_RIGHTS data with the record's first bytes (FC_SHM_ATTACH).
  template <class EncodeBody>
  outcome round_trip(std::uint32_t proc, EncodeBody&& encode_body, clock::time_point deadline,
                     std::vector<xdr::byte>& reply, int pass_fd = -1) {
    waiter w;
    std::uint32_t xid = 0;
    if (auto sent = start(w, proc, encode_body, deadline, xid, pass_fd); sent.code != 0) return sent;
    return finish(w, xid, deadline, reply);
  }

  /// This connection's shared region, attached to its ferryd session on first use (one attempt per
  /// connection: a refusal or a failure means the socket path for the connection's life). Null when
  /// there is none; the region lives as long as the connection.
  shm_region* shared_region(clock::time_point deadline);

  /// The first half of a round trip: enlists `w` (which must stay put until it leaves the table) and
  /// sends the call. On failure `w` is out of the table, or (async, connection lost) already completed.
  template <class EncodeBody>
  outcome start(waiter& w, std::uint32_t proc, EncodeBody&& encode_body, clock::time_point deadline,
                std::uint32_t& xid, int pass_fd = -1) {
    xid = enlist(w);
    xdr::encoder out;
    out.begin_record();
    encode_header(out, xid, proc);
    if (!encode_body(out)) {
      withdraw(xid);
      return {FERRY_E_INVALID, 0};
    }
    out.end_record();
    return send(out, xid, deadline, pass_fd);
  }
  /// The second half (sync waiters only): waits for the reply; on success it is swapped into `reply`.
  outcome finish(waiter& w, std::uint32_t xid, clock::time_point deadline, std::vector<xdr::byte>& reply) {
    auto got = await(w, xid, deadline);
    if (got.code == 0) reply.swap(w.reply);
    return got;
  }

  /// An async call giving up (deadline): if `w` is still in the table under `xid` it leaves it and is
  /// completed with `o`; false when it had already been completed.
  bool cancel(std::uint32_t xid, waiter& w, outcome o);
  /// A non-blocking leader step for ferry_process(): when nobody else is reading, reads what the socket
  /// holds now and dispatches it. A broken stream fails the connection.
  void read_ready();
  /// The socket, for the handle's readiness set (-1 once abandoned).
  int fd() const noexcept { return fd_; }

  /// True once the connection is unusable; the handle then replaces it.
  bool broken() const noexcept { return broken_.load(std::memory_order_acquire) != 0; }
  /// Breaks the connection (idempotent): every waiter returns `code`.
  void fail(int code, int sys_errno);

  // fork support: the handle's pthread_atfork handlers hold these across fork().
  void lock_for_fork();
  void unlock_after_fork();
  /// In a child: the socket is the parent's, so it is closed without shutdown() and never used.
  void abandon_in_child() noexcept;

 private:
  explicit connection(int fd) noexcept : fd_(fd) {}
  std::uint32_t enlist(waiter& w);
  void withdraw(std::uint32_t xid);
  static void encode_header(xdr::encoder& out, std::uint32_t xid, std::uint32_t proc);
  outcome send(const xdr::encoder& out, std::uint32_t xid, clock::time_point deadline, int pass_fd);
  outcome await(waiter& w, std::uint32_t xid, clock::time_point deadline);
  /// Leader step: poll, read and dispatch complete records. Returns FERRY_TIMEDOUT, an error, or 0.
  outcome read_and_dispatch(clock::time_point deadline);
  void wake_next_leader_locked();
  void fail_locked(int code, int sys_errno);

  int fd_;
  std::atomic<int> broken_{0};
  int broken_errno_ = 0;
  std::mutex write_mu_;  // held only while one call's bytes are written
  std::mutex mu_;        // the xid table, the reading flag, the broken state
  std::unordered_map<std::uint32_t, waiter*> table_;
  bool reading_ = false;              // a leader is reading the socket
  std::uint32_t next_xid_ = 0;        // under mu_
  std::vector<xdr::byte> inbuf_;      // touched only by the current leader
  std::size_t inbuf_used_ = 0;
  std::mutex shm_mu_;                 // the attach attempt; never held in a forked child's use
  bool shm_tried_ = false;            // under shm_mu_
  std::unique_ptr<shm_region> shm_;   // set once attached; read without the lock after that
  std::atomic<shm_region*> shm_ready_{nullptr};
};

/// Milliseconds left until `deadline`, rounded up, at least 0 (for poll()).
int millis_left(clock::time_point deadline) noexcept;

}  // namespace ferry::clib
