// The supervisor actor: initial ordered start, the message handlers, child
// lookup, and the two public ways to spawn one.
#include "supervision/supervisor.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "supervision/detail/protocol.hpp"
#include "supervision/detail/supervisor_state.hpp"

namespace supervision {

namespace detail {

void supervisor_state::init(supervisor_spec spec) {
  flags_ = std::move(spec.flags);
  jitter_rng_.seed(flags_.backoff ? flags_.backoff->seed : 0);
  if (dynamic()) {
    template_ = std::move(spec.children.front());
  } else {
    for (auto& c : spec.children) {
      auto key = ++next_key_;
      children_.emplace(key, child{std::move(c), key, {}, {}, child_status::stopped, 0, 0, {}});
    }
  }
}

void supervisor_state::start_initial_children() {
  job j;
  for (const auto& [key, c] : children_)
    j.steps.push_back({step::kind::start, key});
  j.done = [this](const caf::error& err, std::uint64_t) {
    if (err) { // OTP: a child that fails to start fails the supervisor's start
      shutdown(err);
      return;
    }
    started_ = true;
    for (auto& rp : start_waiters_)
      rp.deliver(caf::ok_atom::value);
    start_waiters_.clear();
  };
  run_job(std::move(j));
}

caf::behavior supervisor_state::make_behavior(std::shared_ptr<supervisor_state> keep) {
  self_->set_exit_handler([this, keep](caf::exit_msg& em) { on_exit(em); });
  self_->set_down_handler([this, keep](caf::down_msg& dm) { on_down(dm); });
  self_->attach_functor([live = live_] {
    for (auto& [addr, key] : *live) // only non-empty if we were killed
      caf::anon_send_exit(addr, caf::exit_reason::kill);
  });
  self_->send(self_, start_children{});
  return {
    [this](start_children) { start_initial_children(); },
    [this, keep](which_children) { return on_which_children(); },
    [this](describe_supervisor) { return on_describe(); },
    [this](count_children) { return on_count_children(); },
    [this](await_started) { return on_await_started(); },
    [this](restart_child& x) { return on_restart_child(std::move(x.id)); },
    [this](terminate_child& x) { return on_terminate_child(std::move(x)); },
    [this](delete_child& x) { return on_delete_child(std::move(x.id)); },
    [this](start_child& x) { return on_start_child(std::move(x.spec)); },
    [this](start_child_with& x) { return on_start_child_with(std::move(x.args)); },
    [this](shutdown_timeout x) { on_shutdown_timeout(x.token); },
    [this](restart_due x) {
      if (stopping_)
        return;
      when_idle({}, [this, token = x.token](caf::response_promise&) { on_restart_due(token); });
    },
  };
}

child* supervisor_state::find(std::uint64_t key) {
  auto i = children_.find(key);
  return i == children_.end() ? nullptr : &i->second;
}

child* supervisor_state::find(const std::string& id) {
  for (auto& [key, c] : children_)
    if (c.spec.id == id)
      return &c;
  return nullptr;
}

child* supervisor_state::find(const caf::actor_addr& addr) {
  auto i = live_->find(addr);
  return i == live_->end() ? nullptr : find(i->second);
}

void supervisor_state::remove(std::uint64_t key) {
  children_.erase(key);
}

time_point supervisor_state::now() const {
  return self_->clock().now();
}

caf::behavior supervisor_fn(caf::event_based_actor* self, supervisor_spec spec) {
  auto state = std::make_shared<supervisor_state>(self);
  state->init(std::move(spec));
  return state->make_behavior(state);
}

/// Spawns the supervisor for `spec` through its flags' spawner, or plainly.
caf::actor spawn_supervisor(caf::actor_system& sys, caf::local_actor* parent, supervisor_spec spec) {
  if (auto spawner = spec.flags.spawner) {
    auto name = spec.flags.name;
    return spawner(sys, parent, std::move(name),
                   [spec = std::move(spec)](caf::event_based_actor* self) mutable {
                     return supervisor_fn(self, std::move(spec));
                   });
  }
  if (parent != nullptr)
    return parent->spawn(supervisor_fn, std::move(spec));
  return sys.spawn(supervisor_fn, std::move(spec));
}

caf::error invalid(const spec_error& err) {
  return make_error(sup_errc::invalid_spec, std::string{to_string(err.code)} + ":" + err.child_id);
}

} // namespace detail

caf::expected<caf::actor> start_supervisor(caf::actor_system& sys, supervisor_spec spec) {
  if (auto err = check(spec))
    return detail::invalid(*err);
  return detail::spawn_supervisor(sys, nullptr, std::move(spec));
}

child_spec supervisor_child(std::string id, supervisor_spec spec, restart_type restart) {
  auto start = [spec = std::move(spec)](caf::local_actor* parent,
                                        const caf::message&) -> caf::expected<caf::actor> {
    if (auto err = check(spec))
      return detail::invalid(*err);
    return detail::spawn_supervisor(parent->system(), parent, spec);
  };
  return {std::move(id), std::move(start), restart, std::nullopt, child_type::supervisor};
}

} // namespace supervision
