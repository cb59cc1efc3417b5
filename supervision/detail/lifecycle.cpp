// The job runner: starts and stops children one step at a time, waiting on
// exit messages, start acknowledgements and shutdown timers instead of blocking.
#include <algorithm>
#include <exception>

#include <caf/all.hpp>

#include "supervision/detail/protocol.hpp"
#include "supervision/detail/supervisor_state.hpp"
#include "supervision/errors.hpp"

namespace supervision::detail {

void supervisor_state::run_job(job j) {
  job_ = std::move(j);
  advance();
}

void supervisor_state::advance() {
  while (job_ && wait_.what == wait_point::kind::none) {
    if (job_->steps.empty()) {
      finish_job({}, 0);
      return;
    }
    auto s = job_->steps.front();
    job_->steps.pop_front();
    auto* c = find(s.key);
    if (c == nullptr)
      continue; // removed meanwhile (a temporary child that ended)
    if (s.what == step::kind::start ? !begin_start(*c) : !begin_stop(*c))
      return; // failed and finished the job, or now waiting
  }
}

void supervisor_state::finish_job(const caf::error& err, std::uint64_t key) {
  auto done = std::move(job_->done);
  job_.reset();
  wait_ = {};
  if (done)
    done(err, key);
  drain();
}

// Returns true when the step completed synchronously and the job may go on.
bool supervisor_state::begin_start(child& c) {
  caf::expected<caf::actor> res{caf::actor{}};
  try {
    res = c.spec.start(self_, c.args);
  } catch (const std::exception&) {
    // A throwing start function is a programmer error in the child's code;
    // treat it as a failed start so the supervisor itself survives.
    res = caf::make_error(caf::sec::runtime_error);
  }
  auto key = c.key;
  if (!res) {
    c.actor = {};
    c.status = child_status::stopped;
    report(child_start_failed{flags_.name, self_->id(), c.spec.id, res.error()});
    finish_job(res.error(), key);
    return false;
  }
  if (!*res) { // OTP's `ignore`: nothing runs, a temporary child is dropped
    c.status = child_status::stopped;
    if (c.spec.restart == restart_type::temporary || dynamic())
      remove(key);
    return true;
  }
  c.actor = std::move(*res);
  c.status = child_status::running;
  ++c.starts;
  c.restart_token = 0;
  c.started_at = now();
  // Monitor, not link: a link would carry an untrappable kill from the child
  // to us, and CAF drops a link when the child receives our exit signal.
  self_->monitor(c.actor);
  live_->emplace(c.actor.address(), key);
  if (c.spec.type == child_type::supervisor) {
    // Start the next sibling only once this subtree is up, so start order
    // holds across levels and a failing subtree fails this start too.
    wait_ = {wait_point::kind::start_ack, key, ++next_token_};
    auto token = wait_.token;
    self_->request(c.actor, caf::infinite, await_started{})
      .then([this, token](caf::ok_atom) { on_start_ack(token, {}); },
            [this, token](caf::error& err) { on_start_ack(token, err); });
    return false;
  }
  report(child_started{flags_.name, self_->id(), c.spec.id, c.actor.address()});
  return true;
}

bool supervisor_state::begin_stop(child& c) {
  if (!c.actor)
    return true;
  auto key = c.key;
  // Its death may already be waiting in the deferred queue (it crashed while
  // this job ran): then it is gone and the stop is complete.
  for (auto i = deferred_.begin(); i != deferred_.end(); ++i) {
    auto* dm = std::get_if<caf::down_msg>(&*i);
    if (dm != nullptr && dm->source == c.actor.address()) {
      auto reason = dm->reason;
      deferred_.erase(i);
      child_stopped(key, reason, false);
      return true;
    }
  }
  wait_ = {wait_point::kind::exit, key, ++next_token_};
  auto sd = effective_shutdown(c.spec);
  switch (sd.how) {
    case shutdown_policy::kind::brutal_kill:
      self_->send_exit(c.actor, caf::exit_reason::kill);
      break;
    case shutdown_policy::kind::timeout:
      self_->send_exit(c.actor, caf::exit_reason::user_shutdown);
      self_->delayed_send(self_, sd.timeout, shutdown_timeout{wait_.token});
      break;
    case shutdown_policy::kind::infinity:
      self_->send_exit(c.actor, caf::exit_reason::user_shutdown);
      break;
  }
  return false;
}

void supervisor_state::on_down(caf::down_msg& dm) {
  if (wait_.what != wait_point::kind::none) {
    auto* c = find(wait_.key);
    if (c != nullptr && c->actor && c->actor.address() == dm.source) {
      auto key = c->key;
      if (wait_.what == wait_point::kind::exit) {
        wait_ = {};
        child_stopped(key, dm.reason, true);
        advance();
      } else { // died while starting its own children
        forget_actor(*c);
        c->status = child_status::stopped;
        report(child_start_failed{flags_.name, self_->id(), c->spec.id, dm.reason});
        finish_job(dm.reason, key);
      }
      return;
    }
  }
  if (busy() || !deferred_.empty()) {
    deferred_.emplace_back(std::move(dm));
    return;
  }
  dispatch_down(dm);
}

void supervisor_state::on_exit(caf::exit_msg& em) {
  // Children are monitored, not linked, so an exit signal always comes from
  // outside: the parent, a linked owner, or anon_send_exit. A normal one is
  // ignored, as by a trapping Erlang process.
  if (is_normal(em.reason) || stopping_)
    return;
  if (busy() || !deferred_.empty()) {
    deferred_.emplace_back(std::move(em));
    return;
  }
  shutdown(em.reason);
}

void supervisor_state::forget_actor(child& c) {
  if (c.actor)
    live_->erase(c.actor.address());
  c.actor = {};
}

void supervisor_state::on_start_ack(std::uint64_t token, const caf::error& err) {
  if (wait_.what != wait_point::kind::start_ack || wait_.token != token)
    return; // the child died first; its exit already failed the step
  auto* c = find(wait_.key);
  wait_ = {};
  if (!err) {
    report(child_started{flags_.name, self_->id(), c->spec.id, c->actor.address()});
    advance();
    return;
  }
  // The subtree failed to start and is exiting: reap it before failing the job.
  report(child_start_failed{flags_.name, self_->id(), c->spec.id, err});
  auto key = c->key;
  auto done = std::move(job_->done);
  job_->steps = {step{step::kind::stop, key}};
  job_->done = [done = std::move(done), err, key](const caf::error&, std::uint64_t) {
    done(err, key);
  };
  advance();
}

void supervisor_state::on_shutdown_timeout(std::uint64_t token) {
  if (wait_.what != wait_point::kind::exit || wait_.token != token)
    return; // the child stopped in time
  if (auto* c = find(wait_.key); c != nullptr && c->actor)
    self_->send_exit(c->actor, caf::exit_reason::kill);
}

void supervisor_state::child_stopped(std::uint64_t key, const caf::error& reason, bool ordered) {
  auto* c = find(key);
  report(child_exited{flags_.name, self_->id(), c->spec.id, c->actor.address(), reason, ordered});
  forget_actor(*c);
  c->status = child_status::stopped;
  c->restart_token = 0;
  if (c->spec.restart == restart_type::temporary || dynamic())
    remove(key);
}

void supervisor_state::when_idle(caf::response_promise rp,
                                 std::function<void(caf::response_promise&)> fn) {
  if (busy() || !deferred_.empty())
    deferred_.emplace_back(deferred_call{std::move(rp), std::move(fn)});
  else
    fn(rp);
}

void supervisor_state::drain() {
  if (draining_)
    return;
  draining_ = true;
  while (!busy() && !deferred_.empty() && !stopping_) {
    auto next = std::move(deferred_.front());
    deferred_.pop_front();
    if (auto* dm = std::get_if<caf::down_msg>(&next))
      dispatch_down(*dm);
    else if (auto* em = std::get_if<caf::exit_msg>(&next))
      shutdown(em->reason);
    else
      std::get<deferred_call>(next).run(std::get<deferred_call>(next).rp);
  }
  draining_ = false;
}

} // namespace supervision::detail
