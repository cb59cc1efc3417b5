// Shared test fixture: a CAF system on the deterministic test coordinator,
// probe workers that log their starts and stops, and a report sink.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>
#include <caf/all.hpp>

#include "supervision/intensity.hpp"
#include "supervision/supervisor.hpp"

namespace sup_test {

using namespace std::chrono_literals;
namespace sv = supervision;

/// Asks a probe worker to end with `reason`.
struct quit_with { caf::error reason; };

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, quit_with& x) {
  return f(caf::meta::type_name("quit_with"), x.reason);
}

using report_event = std::variant<sv::child_started, sv::child_exited, sv::child_restarting,
                                  sv::child_start_failed, sv::supervisor_escalated>;

struct timed_report {
  sv::time_point at;
  report_event event;
};

/// Everything the actors of a test tell the test thread (the test coordinator
/// runs every handler on the test thread, so no locking is needed).
struct probe {
  std::vector<std::string> log;            ///< "start:id" and "stop:id" in order
  std::map<std::string, caf::actor> live;  ///< id -> latest actor started under it
  std::map<std::string, int> alive;        ///< id -> running instances
  std::vector<timed_report> reports;
  int failing_starts = 0;                  ///< the next N starts of "flaky" children fail
};

caf::behavior probe_worker(caf::event_based_actor* self, bool stubborn);
caf::behavior report_sink(caf::event_based_actor* self, probe* p);

/// A worker that logs to `p`; a stubborn one traps and ignores exit signals.
sv::child_spec worker(probe* p, std::string id, sv::restart_type r = sv::restart_type::permanent,
                      bool stubborn = false);

/// A worker whose start fails while `p->failing_starts` is positive.
sv::child_spec flaky_worker(probe* p, std::string id);

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  caf::scoped_actor self;
  probe p;
  caf::actor sink;
  std::size_t baseline_running;

  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    return c;
  }

  fixture();
  ~fixture();

  /// Spawns a supervisor whose reports go to the sink and runs its start.
  caf::actor start(sv::supervisor_spec spec);

  /// Runs every job and fires due timers until the system is quiet, without
  /// advancing the clock beyond what is already due.
  void settle();

  /// Sends a request from the scoped actor, runs the system and returns the reply.
  template <class T, class Msg>
  caf::expected<T> ask(const caf::actor& dst, Msg msg) {
    auto h = self->request(dst, caf::infinite, std::move(msg));
    settle();
    caf::expected<T> result{caf::make_error(caf::sec::bad_function_call)};
    if (!self->has_next_message())
      return result;
    h.receive([&](T& x) { result = std::move(x); }, [&](caf::error& e) { result = std::move(e); });
    return result;
  }

  /// The reason `a` exited with, after monitoring it from the scoped actor.
  caf::error exit_reason_of(const caf::actor& a);

  /// Children as "id:status" strings, in start order.
  std::vector<std::string> children_of(const caf::actor& sup);

  template <class Event>
  std::vector<Event> reports_of() const {
    std::vector<Event> result;
    for (const auto& r : p.reports)
      if (auto* e = std::get_if<Event>(&r.event))
        result.push_back(*e);
    return result;
  }

  void crash(const std::string& id, caf::error reason);
  std::vector<std::string> take_log();
};

} // namespace sup_test
