// The supervisor actor's state: its children in start order and a small job
// runner that serialises start/stop steps, because CAF actors must not block.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <unordered_map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <variant>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/system_messages.hpp>

#include "supervision/intensity.hpp"
#include "supervision/messages.hpp"
#include "supervision/spec.hpp"

namespace supervision::detail {

struct child {
  child_spec spec;
  std::uint64_t key = 0;   ///< stable identity; ids repeat in simple_one_for_one
  caf::message args;       ///< start arguments of a dynamic child
  caf::actor actor;        ///< set while running
  child_status status = child_status::stopped;
  std::uint64_t restart_token = 0; ///< the pending restart group, if restarting
  unsigned attempts = 0;           ///< consecutive restarts, drives backoff
  time_point started_at{};
  std::uint64_t starts = 0;        ///< successful starts; restarts = starts - 1
};

/// One start or stop of one child; a job is a sequence of them.
struct step {
  enum class kind : unsigned char { start, stop };
  kind what;
  std::uint64_t key;
};

/// A serialised operation. `done` runs after the last step with an empty
/// error, or after the first start that failed with its error and key;
/// the remaining steps are then dropped.
struct job {
  std::deque<step> steps;
  std::function<void(const caf::error&, std::uint64_t failed_key)> done;
};

/// What the running step waits for.
struct wait_point {
  enum class kind : unsigned char { none, exit, start_ack };
  kind what = kind::none;
  std::uint64_t key = 0;
  std::uint64_t token = 0;
};

/// A request that changes children, postponed while a job runs (OTP's
/// supervisor is blocked in the same situation and leaves it in the mailbox).
struct deferred_call {
  caf::response_promise rp;
  std::function<void(caf::response_promise&)> run;
};

/// A child's death, a request to exit, or a change request, in arrival order.
using deferred = std::variant<caf::down_msg, caf::exit_msg, deferred_call>;

class supervisor_state {
public:
  explicit supervisor_state(caf::event_based_actor* self) : self_(self) {}

  static inline const char* name = "supervisor";

  void init(supervisor_spec spec);
  void start_initial_children();
  /// The behaviour; `keep` (this state) is held by every handler, so the state lives as long as the actor.
  caf::behavior make_behavior(std::shared_ptr<supervisor_state> keep);

private:
  // -- job runner (lifecycle.cpp) -------------------------------------------
  void run_job(job j);
  void advance();
  void finish_job(const caf::error& err, std::uint64_t key);
  bool begin_start(child& c);
  bool begin_stop(child& c);
  void on_down(caf::down_msg& dm);
  void on_exit(caf::exit_msg& em);
  void on_start_ack(std::uint64_t token, const caf::error& err);
  void on_shutdown_timeout(std::uint64_t token);
  void child_stopped(std::uint64_t key, const caf::error& reason, bool ordered);
  void when_idle(caf::response_promise rp, std::function<void(caf::response_promise&)> fn);
  void drain();
  bool busy() const { return job_.has_value(); }

  // -- restarts and shutdown (restarts.cpp) ---------------------------------
  void dispatch_down(const caf::down_msg& dm);
  void child_ended(std::uint64_t key, const caf::error& reason);
  void restart(std::uint64_t key, bool ran);
  void on_restart_due(std::uint64_t token);
  void restart_failed(std::uint64_t key, const caf::error& err);
  void escalate();
  void shutdown(caf::error reason);
  caf::timespan next_backoff(child& c, bool ran);

  // -- requests (requests.cpp) ----------------------------------------------
  std::vector<child_info> on_which_children() const;
  supervisor_description on_describe() const;
  child_counts on_count_children() const;
  caf::response_promise on_await_started();
  caf::response_promise on_restart_child(std::string id);
  caf::response_promise on_terminate_child(terminate_child req);
  caf::response_promise on_delete_child(std::string id);
  caf::response_promise on_start_child(child_spec spec);
  caf::response_promise on_start_child_with(caf::message args);
  void start_new_child(caf::response_promise& rp, child c);
  child* static_child(const std::string& id, caf::response_promise& p);

  // -- children -------------------------------------------------------------
  child* find(std::uint64_t key);
  child* find(const std::string& id);
  child* find(const caf::actor_addr& addr);
  void remove(std::uint64_t key);
  void forget_actor(child& c);
  bool dynamic() const {
    return flags_.strategy == restart_strategy::simple_one_for_one;
  }
  time_point now() const;

  template <class Event>
  void report(Event ev);

  caf::event_based_actor* self_;
  supervisor_flags flags_;
  child_spec template_; ///< simple_one_for_one only
  /// Keyed by start order: keys grow, so iteration is spec/start order, and
  /// lookups stay O(log n) with thousands of simple_one_for_one children.
  std::map<std::uint64_t, child> children_;
  std::vector<time_point> restarts_; ///< intensity window
  std::uint64_t next_key_ = 0;
  std::uint64_t next_token_ = 0;
  std::optional<job> job_;
  wait_point wait_;
  std::deque<deferred> deferred_;
  bool draining_ = false;
  bool started_ = false;
  bool stopping_ = false;
  std::vector<caf::response_promise> start_waiters_;
  std::mt19937_64 jitter_rng_;
  /// Running children by address (to match down messages), shared with a
  /// functor attached to this actor: if the supervisor is killed (untrappable),
  /// it still takes its children along.
  using live_map = std::unordered_map<caf::actor_addr, std::uint64_t>;
  std::shared_ptr<live_map> live_ = std::make_shared<live_map>();
};

} // namespace supervision::detail

namespace supervision::detail {

template <class Event>
void supervisor_state::report(Event ev) {
  if (flags_.report_sink) {
    self_->send(flags_.report_sink, std::move(ev));
  } else if (flags_.report_sink_name) {
    auto sink = self_->system().registry().template get<caf::actor>(*flags_.report_sink_name);
    if (sink)
      self_->send(sink, std::move(ev));
  }
}

} // namespace supervision::detail
