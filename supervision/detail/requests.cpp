// Introspection and child management requests (OTP's which_children,
// count_children, restart/terminate/start/delete_child). Changes wait for idle.
#include <caf/all.hpp>

#include "supervision/detail/supervisor_state.hpp"
#include "supervision/errors.hpp"

namespace supervision::detail {

std::vector<child_info> supervisor_state::on_which_children() const {
  std::vector<child_info> result;
  result.reserve(children_.size());
  for (const auto& [key, c] : children_)
    result.push_back({c.spec.id, c.actor, c.spec.type, c.spec.restart, c.status,
                      c.starts > 0 ? c.starts - 1 : 0});
  return result;
}

supervisor_description supervisor_state::on_describe() const {
  return {flags_.name, flags_.strategy, flags_.intensity, flags_.period};
}

child_counts supervisor_state::on_count_children() const {
  child_counts result;
  result.specs = dynamic() ? 1 : children_.size();
  for (const auto& [key, c] : children_) {
    if (c.actor)
      ++result.active;
    if (c.spec.type == child_type::supervisor)
      ++result.supervisors;
    else
      ++result.workers;
  }
  return result;
}

// Finds a static child by id, or answers the request with why there is none.
child* supervisor_state::static_child(const std::string& id, caf::response_promise& p) {
  if (dynamic()) {
    p.deliver(make_error(sup_errc::wrong_strategy, id));
    return nullptr;
  }
  auto* c = find(id);
  if (c == nullptr)
    p.deliver(make_error(sup_errc::unknown_child, id));
  return c;
}

caf::response_promise supervisor_state::on_await_started() {
  auto rp = self_->make_response_promise();
  if (started_)
    rp.deliver(caf::ok_atom::value);
  else
    start_waiters_.push_back(rp);
  return rp;
}

caf::response_promise supervisor_state::on_restart_child(std::string id) {
  auto rp = self_->make_response_promise();
  when_idle(rp, [this, id = std::move(id)](caf::response_promise& p) {
    auto* c = static_child(id, p);
    if (c == nullptr)
      return;
    if (c->actor)
      return p.deliver(make_error(sup_errc::already_running, id));
    c->restart_token = 0; // an explicit restart overtakes a pending delayed one
    auto key = c->key;
    run_job({{{step::kind::start, key}}, [this, p, key](const caf::error& err, std::uint64_t) mutable {
               auto* x = find(key);
               if (err || x == nullptr || !x->actor)
                 p.deliver(err ? err : make_error(sup_errc::unknown_child));
               else
                 p.deliver(x->actor);
             }});
  });
  return rp;
}

caf::response_promise supervisor_state::on_terminate_child(terminate_child req) {
  auto rp = self_->make_response_promise();
  when_idle(rp, [this, req = std::move(req)](caf::response_promise& p) {
    auto* c = req.child ? find(req.child.address()) : (dynamic() ? nullptr : find(req.id));
    if (c == nullptr)
      return p.deliver(make_error(sup_errc::unknown_child, req.id));
    if (!c->actor) { // stopped or waiting for a restart: cancel that restart
      c->status = child_status::stopped;
      c->restart_token = 0;
      if (dynamic())
        remove(c->key);
      return p.deliver(caf::ok_atom::value);
    }
    run_job({{{step::kind::stop, c->key}}, [p](const caf::error&, std::uint64_t) mutable {
               p.deliver(caf::ok_atom::value);
             }});
  });
  return rp;
}

caf::response_promise supervisor_state::on_delete_child(std::string id) {
  auto rp = self_->make_response_promise();
  when_idle(rp, [this, id = std::move(id)](caf::response_promise& p) {
    auto* c = static_child(id, p);
    if (c == nullptr)
      return;
    if (c->actor || c->status == child_status::restarting)
      return p.deliver(make_error(sup_errc::already_running, id));
    remove(c->key);
    p.deliver(caf::ok_atom::value);
  });
  return rp;
}

caf::response_promise supervisor_state::on_start_child(child_spec spec) {
  auto rp = self_->make_response_promise();
  when_idle(rp, [this, spec = std::move(spec)](caf::response_promise& p) {
    if (dynamic())
      return p.deliver(make_error(sup_errc::wrong_strategy, spec.id));
    if (auto err = check(spec))
      return p.deliver(make_error(sup_errc::invalid_spec, to_string(err->code)));
    if (find(spec.id) != nullptr)
      return p.deliver(make_error(sup_errc::already_present, spec.id));
    start_new_child(p, child{spec, ++next_key_, {}, {}, child_status::stopped, 0, 0, {}});
  });
  return rp;
}

caf::response_promise supervisor_state::on_start_child_with(caf::message args) {
  auto rp = self_->make_response_promise();
  when_idle(rp, [this, args = std::move(args)](caf::response_promise& p) {
    if (!dynamic())
      return p.deliver(make_error(sup_errc::wrong_strategy));
    start_new_child(p, child{template_, ++next_key_, args, {}, child_status::stopped, 0, 0, {}});
  });
  return rp;
}

// Appends the child and starts it; a child that fails to start (or ignores)
// leaves no trace, as with OTP's start_child.
void supervisor_state::start_new_child(caf::response_promise& p, child c) {
  auto key = c.key;
  children_.emplace(key, std::move(c));
  run_job({{{step::kind::start, key}}, [this, p, key](const caf::error& err, std::uint64_t) mutable {
             auto* x = find(key);
             if (x != nullptr && !x->actor)
               remove(key);
             if (err)
               p.deliver(err);
             else if (x != nullptr && x->actor)
               p.deliver(x->actor);
             else
               p.deliver(caf::actor{}); // the start function chose to ignore
           }});
}

} // namespace supervision::detail
