// Child and supervisor specifications as plain data, with every default in one place.
// check() validates a specification once and names the first problem it finds.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/expected.hpp>
#include <caf/actor_cast.hpp>
#include <caf/fwd.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/detail/type_traits.hpp>
#include <caf/local_actor.hpp>
#include <caf/message.hpp>
#include <caf/timespan.hpp>

#include "supervision/fwd.hpp"

namespace supervision {

/// When a child that ended is started again (OTP's restart types).
enum class restart_type : unsigned char {
  permanent, ///< always restarted
  transient, ///< restarted only after an abnormal exit (not normal, not shutdown)
  temporary, ///< never restarted; removed from the supervisor when it ends
};

enum class child_type : unsigned char { worker, supervisor };

enum class restart_strategy : unsigned char {
  one_for_one,        ///< restart only the child that ended
  one_for_all,        ///< stop all others (reverse order), restart all (spec order)
  rest_for_one,       ///< stop the children after it, restart it and them
  simple_one_for_one, ///< one template, dynamic children, one_for_one semantics
};

/// How a child is stopped: `kill` at once, exit `user_shutdown` then `kill`
/// after a timeout, or exit `user_shutdown` and wait as long as it takes.
struct shutdown_policy {
  enum class kind : unsigned char { brutal_kill, timeout, infinity };
  kind how = kind::timeout;
  caf::timespan timeout = std::chrono::seconds(5);

  static shutdown_policy brutal_kill() { return {kind::brutal_kill, {}}; }
  static shutdown_policy infinity() { return {kind::infinity, {}}; }
  static shutdown_policy after(caf::timespan t) { return {kind::timeout, t}; }
  template <class Rep, class Period>
  static shutdown_policy after(std::chrono::duration<Rep, Period> t) {
    return after(std::chrono::duration_cast<caf::timespan>(t));
  }
};

/// Starts a child on behalf of `parent`, the supervisor. It must not link the
/// child (the supervisor does). `args` are the extra arguments of a
/// simple_one_for_one start_child request, empty otherwise.
using start_fn = std::function<caf::expected<caf::actor>(caf::local_actor* parent,
                                                         const caf::message& args)>;

struct child_spec {
  std::string id = {};
  start_fn start = {};
  restart_type restart = restart_type::permanent;
  /// Empty means OTP's default: 5 s for a worker, infinity for a supervisor.
  std::optional<shutdown_policy> shutdown = std::nullopt;
  child_type type = child_type::worker;
};

/// Exponential restart delay: the n-th consecutive restart of a child waits
/// min(max, initial * 2^n), shortened by up to `jitter` (a fraction) so that
/// siblings do not restart in lock-step. The count resets once a child stays
/// up for the supervisor's intensity period.
struct backoff_policy {
  caf::timespan initial = std::chrono::milliseconds(100);
  caf::timespan max = std::chrono::seconds(10);
  double jitter = 0.2;    ///< in [0, 1)
  std::uint64_t seed = 0; ///< seeds the jitter; the same seed gives the same delays
};

/// Spawns an actor that runs `init`: lets a program spawn its supervisors its own way (ferryd meters
/// every actor). `parent` is null for a root started with start_supervisor (spawn through `sys`).
using actor_spawner = std::function<caf::actor(caf::actor_system& sys, caf::local_actor* parent,
                                               std::string name,
                                               std::function<caf::behavior(caf::event_based_actor*)> init)>;

struct supervisor_flags {
  restart_strategy strategy = restart_strategy::one_for_one;
  int intensity = 1; ///< restarts allowed within `period` (OTP default 1 in 5 s)
  caf::timespan period = std::chrono::seconds(5);
  std::optional<backoff_policy> backoff = std::nullopt; ///< empty: restart at once, as OTP
  caf::actor report_sink = {};           ///< receives report events; may be null
  /// When report_sink is null: the name under which the sink is registered in the actor system's
  /// registry, looked up at each report (a sink that is itself a supervised, restartable child).
  std::optional<caf::atom_value> report_sink_name = std::nullopt;
  std::string name = "supervisor";       ///< names this supervisor in reports
  actor_spawner spawner = {};            ///< how this supervisor is spawned; empty: plainly
};

struct supervisor_spec {
  supervisor_flags flags = {};
  /// For simple_one_for_one: exactly one template, started only on request.
  std::vector<child_spec> children = {};
};

enum class spec_errc : unsigned char {
  empty_id = 1,
  duplicate_id,
  missing_start,
  negative_timeout,
  zero_timeout_for_supervisor,
  negative_intensity,
  nonpositive_period,
  simple_needs_one_template,
  bad_backoff,
};

struct spec_error {
  spec_errc code = spec_errc::empty_id;
  std::string child_id = {}; ///< the offending child, empty for supervisor flags
};

const char* to_string(spec_errc);

/// Validates one child; `std::nullopt` means the spec is usable.
[[nodiscard]] std::optional<spec_error> check(const child_spec&);

/// Validates the flags and every child, including ids unique within the spec.
[[nodiscard]] std::optional<spec_error> check(const supervisor_spec&);

/// The shutdown policy in force for `x`, with OTP's per-type default applied.
shutdown_policy effective_shutdown(const child_spec& x);

/// A start function that spawns `fun(self, xs...)`; the common case for
/// workers that take no start arguments.
template <class F, class... Ts>
start_fn spawning(F fun, Ts... xs) {
  return [=](caf::local_actor* parent, const caf::message&) -> caf::expected<caf::actor> {
    if constexpr (sizeof...(Ts) == 0) {
      // CAF 0.17 binds a reference to a null argument tuple when a function is
      // spawned without arguments (UBSan flags it); hand it the function as one.
      using trait = typename caf::detail::get_callable_trait<F>::type;
      using self_ptr = typename caf::detail::tl_head<typename trait::arg_types>::type;
      auto call = [](self_ptr self, F f) { return f(self); };
      return caf::actor_cast<caf::actor>(parent->spawn(call, fun));
    } else {
      return caf::actor_cast<caf::actor>(parent->spawn(fun, xs...));
    }
  };
}

} // namespace supervision
