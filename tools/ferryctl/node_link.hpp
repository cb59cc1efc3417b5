// node_link: one ferryd node's admin actor, reached from a thread and actor system of its own. A peer
// that drops SYNs blocks CAF's middleman inside connect() (notes §4); with one middleman per node, that
// stalls only its own node, and every wait on a link is bounded by a deadline, so ferryctl still answers
// within its timeout and leaves a stuck link behind (the caller then ends the process with _exit).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <caf/fwd.hpp>

#include "actors/admin/admin_protocol.hpp"
#include "address.hpp"
#include "tls_files.hpp"
#include "view.hpp"

namespace ferry::ctl {

using clock = std::chrono::steady_clock;

struct link_options {
  std::chrono::milliseconds timeout{3000};  ///< bounds connecting and the first request together
  std::optional<tls_files> tls;             ///< checked already (check_tls_files)
};

/// What a job sees on the link's thread: no system when CAF failed to start, no admin handle when
/// connecting failed; `error` then says why.
struct link_context {
  caf::actor_system* sys = nullptr;
  caf::scoped_actor* self = nullptr;
  admin::admin_actor admin;
  std::string error;
};

/// Turns a CAF error into one line for the operator ("no answer within 3000 ms", "connection refused ...").
std::string describe(caf::actor_system& sys, const caf::error& err, std::chrono::milliseconds waited);

class node_link {
 public:
  /// Starts the thread: it builds the actor system and connects at once, bounded by `opts.timeout`.
  node_link(endpoint where, link_options opts);
  /// Stops the thread if it ends within 500 ms; otherwise leaves it running, detached (it owns its state).
  ~node_link();
  node_link(const node_link&) = delete;
  node_link& operator=(const node_link&) = delete;

  const endpoint& where() const { return where_; }
  /// When connecting must end: the first request shares this deadline.
  clock::time_point connect_deadline() const { return connect_deadline_; }
  /// Queues `job` for the link's thread (after the connection attempt).
  void post(std::function<void(link_context&)> job);
  /// Asks the thread to end and waits until `deadline`; false when it is still busy (stuck in connect()).
  bool stop(clock::time_point deadline);

 private:
  // Shared with the thread, which may outlive this object when CAF is stuck in connect().
  struct channel {
    std::mutex mtx;
    std::condition_variable cv;
    std::deque<std::function<void(link_context&)>> jobs;
    bool stopping = false;
    bool finished = false;
  };
  static void run(std::shared_ptr<channel> ch, endpoint where, link_options opts, clock::time_point deadline);

  endpoint where_;
  clock::time_point connect_deadline_;
  std::shared_ptr<channel> ch_;
  std::thread thread_;
};

/// Collects one reply per link: each job fills its slot; `wait` returns what arrived by a deadline.
template <class Reply>
class gather {
 public:
  explicit gather(std::size_t n) : results_(n) {}
  void put(std::size_t i, node_result<Reply> r) {
    std::lock_guard lock(mtx_);
    results_[i] = std::move(r);
    ++done_;
    cv_.notify_all();
  }
  /// Every result that arrived by `deadline`; the others name `nodes[i]` and say they timed out.
  std::vector<node_result<Reply>> wait(clock::time_point deadline, const std::vector<std::string>& nodes,
                                       std::chrono::milliseconds timeout) {
    std::unique_lock lock(mtx_);
    cv_.wait_until(lock, deadline, [&] { return done_ == results_.size(); });
    auto out = results_;
    for (std::size_t i = 0; i < out.size(); ++i)
      if (out[i].node.empty()) {
        out[i].node = nodes[i];
        out[i].why = failure::unreachable;
        out[i].error = "no answer within " + std::to_string(timeout.count()) + " ms";
      }
    return out;
  }

 private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<node_result<Reply>> results_;
  std::size_t done_ = 0;
};

}  // namespace ferry::ctl
