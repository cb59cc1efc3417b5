// actors/metering/snapshot.hpp: the plain structs a monitor reads (ferryctl top, /metrics).
// Copies taken by meter_registry::snapshot(); nothing here points back into live actors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::metering {

/// Totals for one message type handled by actors of one name.
struct message_type_meters {
  std::string type;          // "atom:ping", "@i32", "response:@error", ... (CAF portable names)
  std::uint64_t messages = 0;
  std::uint64_t cpu_ns = 0;  // estimated: resume CPU split by wall share (README)
  std::uint64_t wall_ns = 0;
  friend bool operator==(const message_type_meters&, const message_type_meters&) = default;
};

/// One live actor instance.
struct actor_instance_meters {
  std::uint64_t id = 0;  // caf::actor_id
  std::string actor;     // the name it was spawned with
  std::uint64_t messages = 0;
  std::uint64_t cpu_ns = 0;
  std::uint64_t wall_ns = 0;
  std::uint64_t resumes = 0;
  std::uint64_t mailbox_depth = 0;      // sampled when the actor last got a thread
  std::uint64_t mailbox_depth_max = 0;  // largest sample
  friend bool operator==(const actor_instance_meters&, const actor_instance_meters&) = default;
};

/// All instances of one actor name, live and terminated (counters are monotonic).
struct actor_name_meters {
  std::string actor;
  std::uint64_t instances = 0;  // live now
  std::uint64_t messages = 0;
  std::uint64_t cpu_ns = 0;
  std::uint64_t wall_ns = 0;
  std::uint64_t mailbox_depth = 0;      // sum over live instances of their last sample
  std::uint64_t mailbox_depth_max = 0;  // max over every instance ever
  std::uint64_t restarts = 0;           // counted by the supervisor
  std::vector<message_type_meters> types;  // sorted by type
  friend bool operator==(const actor_name_meters&, const actor_name_meters&) = default;
};

/// getrusage(RUSAGE_SELF) split into what the metered actors used and the rest.
struct process_cpu_split {
  std::uint64_t process_ns = 0;
  std::uint64_t attributed_ns = 0;  // sum of metered actors' thread CPU
  std::uint64_t runtime_ns = 0;     // process_ns - attributed_ns (never below 0)
  friend bool operator==(const process_cpu_split&, const process_cpu_split&) = default;
};

struct meter_snapshot {
  std::vector<actor_name_meters> actors;         // sorted by name
  std::vector<actor_instance_meters> instances;  // live only, sorted by id
  process_cpu_split cpu;
  friend bool operator==(const meter_snapshot&, const meter_snapshot&) = default;
};

/// User + system CPU of the whole process, in nanoseconds (getrusage(RUSAGE_SELF)).
std::uint64_t process_cpu_ns();

/// Current thread's CPU time (CLOCK_THREAD_CPUTIME_ID); a syscall, not a vDSO call.
std::uint64_t thread_cpu_ns();

}  // namespace ferry::metering
