// Prometheus text rendering of a fixed snapshot, compared byte for byte.
#include <catch2/catch.hpp>

#include "actors/metering/prometheus.hpp"

using namespace ferry::metering;

TEST_CASE("a fixed snapshot renders to the expected Prometheus text", "[metering]") {
  meter_snapshot s;
  actor_name_meters a;
  a.actor = "session";
  a.instances = 2;
  a.messages = 12;
  a.cpu_ns = 1'500'000'001;
  a.wall_ns = 2'000'000'000;
  a.mailbox_depth = 3;
  a.mailbox_depth_max = 9;
  a.restarts = 1;
  a.types = {{"atom:ping", 10, 1'000, 2'000}, {"response:@i32", 2, 0, 5}};
  actor_name_meters b;
  b.actor = "we\"ird\\";
  s.actors = {a, b};
  s.cpu = {3'000'000'000, 1'500'000'001, 1'499'999'999};
  const std::string expected = R"(# HELP ferry_actor_messages_total Messages handled by actors of this name.
# TYPE ferry_actor_messages_total counter
ferry_actor_messages_total{actor="session"} 12
ferry_actor_messages_total{actor="we\"ird\\"} 0
# HELP ferry_actor_cpu_seconds_total Thread CPU time spent in resumes of actors of this name.
# TYPE ferry_actor_cpu_seconds_total counter
ferry_actor_cpu_seconds_total{actor="session"} 1.500000001
ferry_actor_cpu_seconds_total{actor="we\"ird\\"} 0.000000000
# HELP ferry_actor_wall_seconds_total Wall time spent handling messages of actors of this name.
# TYPE ferry_actor_wall_seconds_total counter
ferry_actor_wall_seconds_total{actor="session"} 2.000000000
ferry_actor_wall_seconds_total{actor="we\"ird\\"} 0.000000000
# HELP ferry_actor_mailbox_depth Mailbox depth last sampled, summed over live instances.
# TYPE ferry_actor_mailbox_depth gauge
ferry_actor_mailbox_depth{actor="session"} 3
ferry_actor_mailbox_depth{actor="we\"ird\\"} 0
# HELP ferry_actor_mailbox_depth_max Largest mailbox depth sampled in any instance.
# TYPE ferry_actor_mailbox_depth_max gauge
ferry_actor_mailbox_depth_max{actor="session"} 9
ferry_actor_mailbox_depth_max{actor="we\"ird\\"} 0
# HELP ferry_actor_restarts_total Restarts counted by the supervisor.
# TYPE ferry_actor_restarts_total counter
ferry_actor_restarts_total{actor="session"} 1
ferry_actor_restarts_total{actor="we\"ird\\"} 0
# HELP ferry_actor_instances Live instances.
# TYPE ferry_actor_instances gauge
ferry_actor_instances{actor="session"} 2
ferry_actor_instances{actor="we\"ird\\"} 0
# HELP ferry_actor_message_type_messages_total Messages of this type handled by actors of this name.
# TYPE ferry_actor_message_type_messages_total counter
ferry_actor_message_type_messages_total{actor="session",type="atom:ping"} 10
ferry_actor_message_type_messages_total{actor="session",type="response:@i32"} 2
# HELP ferry_actor_message_type_cpu_seconds_total CPU time estimated for this message type (resume CPU split by wall share).
# TYPE ferry_actor_message_type_cpu_seconds_total counter
ferry_actor_message_type_cpu_seconds_total{actor="session",type="atom:ping"} 0.000001000
ferry_actor_message_type_cpu_seconds_total{actor="session",type="response:@i32"} 0.000000000
# HELP ferry_actor_message_type_wall_seconds_total Wall time spent handling this message type.
# TYPE ferry_actor_message_type_wall_seconds_total counter
ferry_actor_message_type_wall_seconds_total{actor="session",type="atom:ping"} 0.000002000
ferry_actor_message_type_wall_seconds_total{actor="session",type="response:@i32"} 0.000000005
# HELP ferry_process_cpu_seconds_total Process CPU time (getrusage RUSAGE_SELF, user + system).
# TYPE ferry_process_cpu_seconds_total counter
ferry_process_cpu_seconds_total 3.000000000
# HELP ferry_process_cpu_attributed_seconds_total Process CPU time attributed to metered actors.
# TYPE ferry_process_cpu_attributed_seconds_total counter
ferry_process_cpu_attributed_seconds_total 1.500000001
# HELP ferry_process_cpu_runtime_seconds_total Process CPU time not attributed to actors (scheduler, I/O threads, allocator).
# TYPE ferry_process_cpu_runtime_seconds_total counter
ferry_process_cpu_runtime_seconds_total 1.499999999
)";
  CHECK(render_prometheus(s) == expected);
}
