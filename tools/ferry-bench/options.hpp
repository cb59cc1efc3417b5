// What one ferry-bench run does, as plain data filled from the command line (main.cpp) and read by the
// load loop (load.cpp), the idle-session mode (idle.cpp) and the report (report.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

#include "value_sizes.hpp"

namespace ferry::bench {

enum class wire_protocol { client, store };  // FERRY_CLIENT (ferryd) or FERRY_STORE (ferry-store, relays)
enum class loop_mode { closed, open };

struct target {
  bool is_unix = false;
  std::string path;         // unix
  std::string host;         // tcp (numeric IPv4)
  std::uint16_t port = 0;   // tcp
  std::string text;         // as given
};

/// "unix:PATH" or "tcp:HOST:PORT"; false when it is neither.
bool parse_target(const std::string& text, target& out);

struct options {
  target where;
  wire_protocol protocol = wire_protocol::client;
  loop_mode mode = loop_mode::closed;
  unsigned connections = 1;
  unsigned depth = 1;              // closed: calls in flight per connection; open: the cap on them
  double rate = 1000;              // open: operations a second over all connections
  double get_ratio = 0.5;
  value_sizes sizes{100};
  std::uint64_t keys = 1000;       // distinct keys over all connections
  std::uint64_t ops = 100000000;   // measured operations at most (over all connections)
  double seconds = 10;             // measured interval at most
  double warmup_seconds = 0;
  std::uint64_t chunk_size = 1u << 20;  // values above this go as WRITE_OPEN / WRITE_CHUNK... / WRITE_COMMIT
  std::string key_prefix;          // default "fb/<protocol>/"
  std::vector<pid_t> pids;
  double drain_seconds = 30;       // after the interval: how long in-flight calls get to answer
  unsigned idle = 0;               // idle mode: open this many sessions instead of load
  double hold_seconds = 0;         // idle mode: keep them open this long
  std::uint64_t seed = 1;
  /// FERRY_CLIENT over a UNIX socket only: each connection attaches a memfd region of depth slots and
  /// sends PUTs and GETs up to chunk_size as FC_PUT_SHM / FC_GET_SHM, copying each value into its slot
  /// (PUT) and out of it (GET) as libferry does; larger values stay chunked on the socket.
  bool shm = false;
};

}  // namespace ferry::bench
