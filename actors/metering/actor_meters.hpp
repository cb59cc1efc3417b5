// actors/metering/actor_meters.hpp: one actor instance's counters, written by the actor that owns
// them without locks and read by meter_registry::snapshot() from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <typeinfo>

namespace ferry::metering {

/// Cheap identity of a message: the first element's type (and the atom, for atom-led messages),
/// plus whether it arrived as a response. Built without allocating (see message_key_of).
struct message_key {
  std::uint64_t atom = 0;               // atom value when the first element is an atom
  const std::type_info* rtti = nullptr;  // custom types (type number 0)
  std::uint16_t type_nr = 0;            // CAF builtin type number, 0 for custom types
  bool empty = false;                   // message without elements
  bool response = false;                // delivered as the reply to a request
  friend bool operator==(const message_key&, const message_key&) = default;
};

/// Counters of one message type inside one actor instance.
struct type_slot {
  message_key key;
  std::string name;  // written once before the slot is published
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> wall_ns{0};
  std::atomic<std::uint64_t> cpu_ns{0};
};

/// One actor instance. Owner-thread fields use load+store (no locked instruction); the CPU
/// fields are added once per resume with fetch_add, because the end of a resume can overlap the
/// next resume on another worker (the actor is rescheduled as soon as its mailbox unblocks).
class actor_meters {
public:
  /// Message types beyond this many share the last slot, named "other".
  static constexpr std::size_t max_types = 31;

  actor_meters(std::string name, std::uint64_t id) : name_(std::move(name)), id_(id) {
    slots_[max_types].name = "other";
  }
  actor_meters(const actor_meters&) = delete;
  actor_meters& operator=(const actor_meters&) = delete;

  const std::string& name() const noexcept { return name_; }
  std::uint64_t id() const noexcept { return id_; }

  // -- owner thread (inside the actor's resume) ---------------------------------------------------

  /// Index of the slot for `key`, or max_types when all slots are taken. `make_name` is called
  /// only the first time a key is seen.
  template <class MakeName>
  std::size_t slot_for(const message_key& key, MakeName&& make_name) {
    auto n = used_.load(std::memory_order_relaxed);
    if (last_ < n && slots_[last_].key == key)
      return last_;
    for (std::size_t i = 0; i < n; ++i)
      if (slots_[i].key == key)
        return last_ = i;
    if (n == max_types)
      return max_types;
    slots_[n].key = key;
    slots_[n].name = make_name();
    used_.store(n + 1, std::memory_order_release);
    return last_ = n;
  }

  void count_message(std::size_t slot, std::uint64_t wall) noexcept {
    bump(slots_[slot].messages, 1);
    bump(slots_[slot].wall_ns, wall);
    bump(messages_, 1);
    bump(wall_ns_, wall);
  }

  /// Called at the start of a resume with the mailbox size; returns the resume's ordinal.
  std::uint64_t start_resume(std::uint64_t depth) noexcept {
    mailbox_depth_.store(depth, std::memory_order_relaxed);
    if (depth > mailbox_depth_max_.load(std::memory_order_relaxed))
      mailbox_depth_max_.store(depth, std::memory_order_relaxed);
    auto r = resumes_.load(std::memory_order_relaxed);
    resumes_.store(r + 1, std::memory_order_relaxed);
    return r;
  }

  // -- any thread ---------------------------------------------------------------------------------

  void add_cpu(std::uint64_t ns) noexcept { cpu_ns_.fetch_add(ns, std::memory_order_relaxed); }
  void add_type_cpu(std::size_t slot, std::uint64_t ns) noexcept {
    slots_[slot].cpu_ns.fetch_add(ns, std::memory_order_relaxed);
  }
  /// Marks the instance terminated; its counters are final once this is visible.
  void retire() noexcept {
    if (!retired_.exchange(true, std::memory_order_acq_rel) && retirements_ != nullptr)
      retirements_->fetch_add(1, std::memory_order_relaxed);
  }
  /// Where retire() counts (the registry's prune trigger); set once at enrolment, before the actor runs.
  void count_retirements_in(std::atomic<std::size_t>* counter) noexcept { retirements_ = counter; }
  bool retired() const noexcept { return retired_.load(std::memory_order_acquire); }

  std::uint64_t messages() const noexcept { return messages_.load(std::memory_order_relaxed); }
  std::uint64_t wall_ns() const noexcept { return wall_ns_.load(std::memory_order_relaxed); }
  std::uint64_t cpu_ns() const noexcept { return cpu_ns_.load(std::memory_order_relaxed); }
  std::uint64_t resumes() const noexcept { return resumes_.load(std::memory_order_relaxed); }
  std::uint64_t mailbox_depth() const noexcept {
    return mailbox_depth_.load(std::memory_order_relaxed);
  }
  std::uint64_t mailbox_depth_max() const noexcept {
    return mailbox_depth_max_.load(std::memory_order_relaxed);
  }
  /// Published slots, then the overflow slot; `f(const type_slot&)`.
  template <class F>
  void for_each_type(F&& f) const {
    auto n = used_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i)
      f(slots_[i]);
    if (slots_[max_types].messages.load(std::memory_order_relaxed) > 0)
      f(slots_[max_types]);
  }

private:
  static void bump(std::atomic<std::uint64_t>& x, std::uint64_t d) noexcept {
    x.store(x.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
  }

  std::string name_;
  std::uint64_t id_;
  std::size_t last_ = 0;  // owner only: slot hit by the previous message
  std::atomic<std::size_t> used_{0};
  std::atomic<std::uint64_t> messages_{0};
  std::atomic<std::uint64_t> wall_ns_{0};
  std::atomic<std::uint64_t> cpu_ns_{0};
  std::atomic<std::uint64_t> resumes_{0};
  std::atomic<std::uint64_t> mailbox_depth_{0};
  std::atomic<std::uint64_t> mailbox_depth_max_{0};
  std::atomic<bool> retired_{false};
  std::atomic<std::size_t>* retirements_ = nullptr;
  std::array<type_slot, max_types + 1> slots_;
};

}  // namespace ferry::metering
