// ferry-bench's --shm arm (bench/run "ferryd-uds-shm") against a real ferryd: its values really cross the
// shared region, not the socket. ferryd is started with a 64 KiB record limit, so a 1 MiB PUT or GET can
// only succeed through slots; the values the store holds are ferry-bench's bytes.
#include <catch2/catch.hpp>

#include <fstream>

#include "daemon_fixture.hpp"
#include "load.hpp"
#include "options.hpp"

using namespace ferry::bench;
using namespace ferry::daemon_test;

TEST_CASE("the --shm arm moves 1 MiB values through ferryd's shared-memory slots, PUT and GET",
          "[ferry-bench][e2e][shm]") {
  temp_dir conf;
  { std::ofstream(conf.file("ferryd.toml")) << "[limits]\nmax_record_bytes = 65536\n"; }
  cluster cl(1, 1, 1, {"--config", conf.file("ferryd.toml")});
  options o;
  REQUIRE(parse_target("unix:" + cl.ferryd.socket, o.where));
  o.protocol = wire_protocol::client;
  o.shm = true;
  o.connections = 2;
  o.depth = 2;
  o.ops = 24;
  o.keys = 4;
  o.get_ratio = 0.5;
  o.sizes = value_sizes(1u << 20);
  o.seconds = 30;
  o.drain_seconds = 10;
  o.key_prefix = "fb/shm/";
  auto r = run_load(o);
  INFO("errors " << r.error_count() << ", prefill errors " << r.prefill_errors);
  CHECK(r.ok == 24);
  CHECK(r.error_count() == 0);
  CHECK(r.bytes == 24u << 20);
  // Every key was written by the prefill (and maybe again): 1 MiB of ferry-bench's 0x5a bytes.
  for (const char* key : {"fb/shm/0/0", "fb/shm/0/1", "fb/shm/1/0", "fb/shm/1/1"})
    CHECK(stored_value(cl.stores[0].port, key) == std::string(1u << 20, '\x5a'));

  // Without --shm the same load cannot pass the 64 KiB record limit: the arm above did not use the socket.
  o.shm = false;
  o.key_prefix = "fb/socket/";
  o.ops = 4;
  auto refused = run_load(o);
  CHECK(refused.ok == 0);
}
