// actors/metering/metered.hpp: metered<Base> meters every message an actor dequeues by overriding
// consume() and resume(); spawn_metered runs a function-based or stateful behaviour inside it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <caf/all.hpp>

#include "actors/metering/actor_meters.hpp"
#include "actors/metering/meter_registry.hpp"

namespace ferry::metering {

/// Key of a dequeued message: three virtual calls on its content, no allocation.
inline message_key message_key_of(const caf::mailbox_element& x) noexcept {
  message_key k;
  k.response = x.mid.is_response();
  const auto& c = x.content();
  if (c.size() == 0) {
    k.empty = true;
    return k;
  }
  auto t = c.type(0);
  k.type_nr = t.first;
  k.rtti = t.second;
  if (t.first == caf::type_nr<caf::atom_value>::value)
    k.atom = static_cast<std::uint64_t>(c.get_as<caf::atom_value>(0));
  return k;
}

/// Readable name of a key ("atom:ping", "@i32", "response:@error", "<empty>"): CAF's portable names.
std::string message_type_name(const message_key& k, const caf::actor_system& sys);

namespace detail {

inline std::uint64_t wall_now_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::steady_clock::now().time_since_epoch())
                                      .count());
}

/// Lives on the stack of one resume; consume() finds it through `current_resume`.
struct resume_context {
  actor_meters* meters;
  std::uint64_t last_wall;  // end of the previous message (or start of the resume)
  bool timed;               // this resume reads the thread CPU clock
  std::uint64_t touched = 0;  // bit i: slot i got wall time in this resume (timed only)
  std::uint64_t pending_wall[actor_meters::max_types + 1];  // valid where touched
};
static_assert(actor_meters::max_types + 1 <= 64, "touched is a 64-bit mask");

inline thread_local resume_context* current_resume = nullptr;

/// `mailbox().size()`, out of line: CAF's task_queue casts its sentinel node to a message,
/// which UBSan's vptr check rejects, so metered.cpp is built without that one check.
std::uint64_t mailbox_depth(caf::scheduled_actor& self);

/// Splits one resume's measured CPU over the message types it handled, by wall share.
void distribute_cpu(resume_context& ctx, std::uint64_t cpu_ns);

}  // namespace detail

template <class Base = caf::event_based_actor>
class metered : public Base {
public:
  using init_fn = std::function<caf::behavior(Base*)>;

  metered(caf::actor_config& cfg, meter_registry& reg, std::string name, init_fn init)
      : Base(cfg),
        meters_(reg.enroll(std::move(name), this->id())),
        cpu_period_(reg.cpu_sample_period()),
        init_(std::move(init)) {}

  ~metered() override { meters_->retire(); }

  caf::resumable::resume_result resume(caf::execution_unit* eu, size_t max_throughput) override {
    auto& m = *meters_;
    // We are the scheduled owner here, so touching the mailbox is safe. size() moves newly
    // arrived messages into the FIFO (work the resume does anyway) and then is O(1).
    auto ordinal = m.start_resume(detail::mailbox_depth(*this));
    detail::resume_context ctx{&m, detail::wall_now_ns(), ordinal % cpu_period_ == 0, 0, {}};
    auto cpu0 = ctx.timed ? thread_cpu_ns() : 0;
    auto* outer = std::exchange(detail::current_resume, &ctx);
    auto r = Base::resume(eu, max_throughput);
    detail::current_resume = outer;
    // From here on another worker may already run this actor: only stack data and atomic adds.
    if (ctx.timed)
      detail::distribute_cpu(ctx, (thread_cpu_ns() - cpu0) * cpu_period_);
    if (r == caf::resumable::done)
      m.retire();
    return r;
  }

  caf::invoke_message_result consume(caf::mailbox_element& x) override {
    auto key = message_key_of(x);  // before the handler may move the content away
    auto* ctx = detail::current_resume;
    if (ctx == nullptr || ctx->meters != meters_.get())
      return consume_unscoped(x, key);
    auto r = Base::consume(x);
    if (r == caf::invoke_message_result::skipped)
      return r;  // stashed; counted when it is finally handled
    auto now = detail::wall_now_ns();
    auto wall = now - ctx->last_wall;
    ctx->last_wall = now;
    auto slot = slot_for(key);
    meters_->count_message(slot, wall);
    if (ctx->timed) {
      auto bit = std::uint64_t{1} << slot;
      ctx->pending_wall[slot] = (ctx->touched & bit ? ctx->pending_wall[slot] : 0) + wall;
      ctx->touched |= bit;
    }
    return r;
  }

  const actor_meters& meters() const noexcept { return *meters_; }

protected:
  caf::behavior make_behavior() override { return init_ ? init_(this) : Base::make_behavior(); }

private:
  std::size_t slot_for(const message_key& key) {
    return meters_->slot_for(key, [&] { return message_type_name(key, this->system()); });
  }

  // consume() outside our own resume (not seen with CAF 0.17's schedulers): count, no CPU.
  caf::invoke_message_result consume_unscoped(caf::mailbox_element& x, const message_key& key) {
    auto t0 = detail::wall_now_ns();
    auto r = Base::consume(x);
    if (r != caf::invoke_message_result::skipped)
      meters_->count_message(slot_for(key), detail::wall_now_ns() - t0);
    return r;
  }

  std::shared_ptr<actor_meters> meters_;
  std::uint64_t cpu_period_;
  init_fn init_;
};

namespace detail {

template <class F>
using self_arg_t = typename caf::detail::tl_head<
  typename caf::detail::get_callable_trait<F>::arg_types>::type;

/// The actor class a behaviour function expects: event_based_actor or stateful_actor<S>.
template <class F>
using actor_base_of_t = std::remove_pointer_t<self_arg_t<F>>;

template <class F, class... Ts>
auto bind_init(F fn, Ts&&... xs) {
  using base = actor_base_of_t<F>;
  static_assert(std::is_base_of_v<caf::event_based_actor, base>,
                "the behaviour's first parameter must be event_based_actor* or "
                "stateful_actor<State>*");
  return typename metered<base>::init_fn{
    [fn = std::move(fn), ... args = std::forward<Ts>(xs)](base* self) mutable -> caf::behavior {
      return fn(self, args...);
    }};
}

}  // namespace detail

/// Spawns `fn(self, xs...)` as a metered actor called `name`. `fn` takes `event_based_actor*` or
/// `stateful_actor<State>*` and returns a behavior. Use `Os` for linked/monitored children.
template <caf::spawn_options Os = caf::no_spawn_options, class F, class... Ts>
caf::actor spawn_metered(caf::actor_system& sys, meter_registry& reg, std::string name, F fn,
                         Ts&&... xs) {
  using impl = metered<detail::actor_base_of_t<F>>;
  return sys.spawn<impl, Os>(reg, std::move(name),
                             detail::bind_init(std::move(fn), std::forward<Ts>(xs)...));
}

/// Same, spawned by `parent` (so `Os` can link or monitor it to the parent).
template <caf::spawn_options Os = caf::no_spawn_options, class F, class... Ts>
caf::actor spawn_metered(caf::local_actor* parent, meter_registry& reg, std::string name, F fn,
                         Ts&&... xs) {
  using impl = metered<detail::actor_base_of_t<F>>;
  return parent->spawn<impl, Os>(reg, std::move(name),
                                 detail::bind_init(std::move(fn), std::forward<Ts>(xs)...));
}

/// Spawns `fn(self, xs...)` through `parent`: metered under `name` when `reg` is set, plainly
/// otherwise. Actors take an optional registry in their config and spawn through this.
template <class F, class... Ts>
caf::actor spawn_maybe_metered(caf::local_actor* parent, meter_registry* reg, std::string name, F fn,
                               Ts&&... xs) {
  if (reg != nullptr)
    return spawn_metered(parent, *reg, std::move(name), std::move(fn), std::forward<Ts>(xs)...);
  return caf::actor_cast<caf::actor>(parent->spawn(std::move(fn), std::forward<Ts>(xs)...));
}

template <class F, class... Ts>
caf::actor spawn_maybe_metered(caf::actor_system& sys, meter_registry* reg, std::string name, F fn,
                               Ts&&... xs) {
  if (reg != nullptr)
    return spawn_metered(sys, *reg, std::move(name), std::move(fn), std::forward<Ts>(xs)...);
  return caf::actor_cast<caf::actor>(sys.spawn(std::move(fn), std::forward<Ts>(xs)...));
}

}  // namespace ferry::metering
