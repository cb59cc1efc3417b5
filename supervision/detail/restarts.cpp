// What happens when a child ends on its own: the restart decision, intensity,
// backoff, the strategy's stop/start plan, escalation and orderly shutdown.
#include <caf/all.hpp>

#include "supervision/backoff.hpp"
#include "supervision/detail/protocol.hpp"
#include "supervision/detail/supervisor_state.hpp"
#include "supervision/errors.hpp"
#include "supervision/strategy.hpp"

namespace supervision::detail {

void supervisor_state::dispatch_down(const caf::down_msg& dm) {
  // Every child is monitored once and forgotten only after its down message,
  // so an unknown source is a monitor the user code set up; ignore it.
  if (auto* c = find(dm.source))
    child_ended(c->key, dm.reason);
}

void supervisor_state::child_ended(std::uint64_t key, const caf::error& reason) {
  auto* c = find(key);
  report(child_exited{flags_.name, self_->id(), c->spec.id, c->actor.address(), reason, false});
  forget_actor(*c);
  c->status = child_status::stopped;
  if (!should_restart(c->spec.restart, reason)) {
    if (c->spec.restart == restart_type::temporary || dynamic())
      remove(key);
    return;
  }
  restart(key, true);
}

caf::timespan supervisor_state::next_backoff(child& c, bool ran) {
  if (!flags_.backoff)
    return caf::timespan{0};
  // A child that stayed up for a whole intensity period counts as healthy:
  // its next failure starts the schedule over.
  if (ran && now() - c.started_at >= flags_.period)
    c.attempts = 0;
  auto u = static_cast<double>(jitter_rng_() >> 11) * 0x1.0p-53; // [0, 1)
  return backoff_delay(*flags_.backoff, c.attempts, u);
}

void supervisor_state::restart(std::uint64_t key, bool ran) {
  auto verdict = add_restart(std::move(restarts_), now(), flags_.intensity, flags_.period);
  restarts_ = std::move(verdict.restarts);
  if (verdict.exceeded) {
    escalate();
    return;
  }
  auto* c = find(key);
  auto delay = next_backoff(*c, ran);
  report(child_restarting{flags_.name, self_->id(), c->spec.id, delay, c->attempts});
  ++c->attempts;
  auto token = ++next_token_;
  job j;
  std::vector<std::uint64_t> starts;
  if (flags_.strategy == restart_strategy::one_for_one || dynamic()) {
    starts.push_back(key); // no need to look at the siblings
  } else {
    std::vector<child_view> views;
    std::vector<std::uint64_t> keys;
    std::size_t ended = 0;
    for (const auto& [k, x] : children_) {
      if (k == key)
        ended = keys.size();
      views.push_back({x.spec.restart, static_cast<bool>(x.actor)});
      keys.push_back(k);
    }
    auto plan = plan_restart(flags_.strategy, views, ended);
    for (auto i : plan.stop)
      j.steps.push_back({step::kind::stop, keys[i]});
    for (auto i : plan.start)
      starts.push_back(keys[i]);
  }
  for (auto k : starts) {
    auto& x = children_.at(k);
    x.status = child_status::restarting;
    x.restart_token = token;
  }
  // Stopped siblings keep "restarting": child_stopped resets them, so mark
  // them again once the stops are done.
  j.done = [this, starts, token, delay](const caf::error&, std::uint64_t) {
    for (auto k : starts)
      if (auto* x = find(k)) {
        x->status = child_status::restarting;
        x->restart_token = token;
      }
    if (delay.count() > 0)
      self_->delayed_send(self_, delay, restart_due{token});
    else
      on_restart_due(token);
  };
  run_job(std::move(j));
}

void supervisor_state::on_restart_due(std::uint64_t token) {
  job j;
  for (const auto& [key, c] : children_)
    if (c.status == child_status::restarting && c.restart_token == token)
      j.steps.push_back({step::kind::start, key});
  if (j.steps.empty())
    return; // cancelled by terminate_child, restart_child or shutdown
  j.done = [this](const caf::error& err, std::uint64_t failed) {
    if (err)
      restart_failed(failed, err);
  };
  run_job(std::move(j));
}

void supervisor_state::restart_failed(std::uint64_t key, const caf::error&) {
  // As OTP's try_again_restart: a failed restart is one more restart against
  // intensity, so a child that can never start ends in escalation.
  if (auto* c = find(key)) {
    c->status = child_status::restarting;
    restart(key, false);
  }
}

void supervisor_state::escalate() {
  auto reason = make_error(sup_errc::reached_max_intensity, flags_.name);
  report(supervisor_escalated{flags_.name, self_->id(), reason, flags_.intensity, flags_.period});
  shutdown(std::move(reason));
}

void supervisor_state::shutdown(caf::error reason) {
  stopping_ = true;
  job j;
  for (auto i = children_.rbegin(); i != children_.rend(); ++i) {
    if (i->second.actor)
      j.steps.push_back({step::kind::stop, i->first});
    else
      i->second.status = child_status::stopped;
  }
  j.done = [this, reason](const caf::error&, std::uint64_t) {
    for (auto& d : deferred_)
      if (auto* call = std::get_if<deferred_call>(&d); call != nullptr && call->rp.pending())
        call->rp.deliver(make_error(sup_errc::shutting_down));
    deferred_.clear();
    for (auto& rp : start_waiters_)
      rp.deliver(reason);
    start_waiters_.clear();
    self_->quit(reason);
  };
  run_job(std::move(j));
}

} // namespace supervision::detail
