// The ferryd TOML loader and the settings check: the example file is the defaults, a full file sets every
// table, and each kind of mistake is reported with the file, the line and the dotted key.
#include <catch2/catch.hpp>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

#include "config/ferryd_settings.hpp"

using namespace ferry::config;
using namespace std::chrono_literals;

namespace {

/// A TOML text written to its own file in the temp directory for the test's lifetime.
class scratch_config {
 public:
  explicit scratch_config(const std::string& text) {
    static int serial = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("ferryd-settings-" + std::to_string(getpid()) + "-" + std::to_string(++serial) + ".toml"))
                .string();
    std::ofstream(path_) << text;
  }
  ~scratch_config() { std::filesystem::remove(path_); }
  scratch_config(const scratch_config&) = delete;
  scratch_config& operator=(const scratch_config&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

ferryd_settings load_ok(const std::string& text, ferryd_settings base = {}) {
  scratch_config f(text);
  auto r = load_ferryd_settings(f.path(), std::move(base));
  if (auto* e = std::get_if<settings_error>(&r)) FAIL(e->message);
  return std::get<ferryd_settings>(r);
}

/// The error for `text` with the file name cut off (":LINE: key: message").
std::string error_of(const std::string& text, ferryd_settings base = {}) {
  scratch_config f(text);
  auto r = load_ferryd_settings(f.path(), std::move(base));
  REQUIRE(std::holds_alternative<settings_error>(r));
  const auto& msg = std::get<settings_error>(r).message;
  REQUIRE(msg.rfind(f.path(), 0) == 0);  // starts with the file name
  return msg.substr(f.path().size());
}

struct mistake {
  const char* text;
  const char* expected;
};

void check_mistakes(const std::vector<mistake>& rows) {
  for (const auto& row : rows) {
    INFO(row.text);
    CHECK(error_of(row.text) == row.expected);
  }
}

}  // namespace

TEST_CASE("the documented ferryd defaults pass the check", "[config][ferryd]") {
  const ferryd_settings d;
  CHECK_FALSE(check(d));
  CHECK_FALSE(has_stores(d));
  CHECK(d.daemon.socket == "/run/ferry/ferryd.sock");
  CHECK(d.daemon.socket_mode == 0660);
  CHECK(d.stores.replicas == 2);
  CHECK(d.stores.write_quorum == 2);
  CHECK(d.stores.connections == 2);
  CHECK(d.limits.accept.max_sessions == 4096);
  CHECK(d.limits.max_record_bytes == (16u << 20) + (64u << 10));
  CHECK(d.runtime.scheduler == "sharing");
  CHECK(d.admin.port == 0);
  CHECK(d.admin.bind == "127.0.0.1");
}

TEST_CASE("the example ferryd config parses to exactly the defaults", "[config][ferryd]") {
  auto r = load_ferryd_settings(FERRYD_EXAMPLE, {});
  if (auto* e = std::get_if<settings_error>(&r)) FAIL(e->message);
  CHECK(std::get<ferryd_settings>(r) == ferryd_settings{});
  // A base that differs everywhere it can is overwritten by the example: every default is spelt out.
  ferryd_settings odd;
  odd.daemon = {"/x", 0600, "u", "g", "h:1", {7}, {8}};
  odd.stores = {{"a:1"}, 3, 1, 7};
  odd.limits = {{5.0, 6, 7}, 8, 9, 10, 11};
  odd.shm = {false, 12, 13, 14};
  odd.deadlines = {1ms, 2ms, 3ms, 4ms, 5ms, 6ms};
  odd.health = {0.9, 9, 9.0, 9, ferry::router::latency{9.0}, 9s, 9s, 9s, 0.9};
  odd.runtime = {"stealing", 9, 9, false};
  odd.log = {"debug", "/f", false};
  odd.admin = {9, "::1", "c", "k", "a", "127.0.0.1:9464", false};
  auto over = load_ferryd_settings(FERRYD_EXAMPLE, odd);
  REQUIRE(std::holds_alternative<ferryd_settings>(over));
  CHECK(std::get<ferryd_settings>(over) == ferryd_settings{});
}

TEST_CASE("the example ferryd config documents every key the loader knows, in its table", "[config][ferryd]") {
  std::ifstream in(FERRYD_EXAMPLE);
  // Plain string scanning rather than <regex>: g++ 12 warns (maybe-uninitialized) inside std::regex at -O1.
  auto is_name = [](std::string_view n) {
    return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
  };
  std::string table;
  std::set<std::string> documented;
  for (std::string line; std::getline(in, line);) {
    std::string_view l = line;
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
    if (l.size() > 2 && l.front() == '[' && l.back() == ']' && is_name(l.substr(1, l.size() - 2))) {
      table = std::string(l.substr(1, l.size() - 2));
      continue;
    }
    auto eq = l.find(" = ");
    auto comment = l.find("# ", eq == std::string_view::npos ? 0 : eq);
    if (eq != std::string_view::npos && is_name(l.substr(0, eq)) && comment != std::string_view::npos &&
        comment + 2 < l.size()) {
      documented.insert(table + "." + std::string(l.substr(0, eq)));  // every key has its one-line comment
      continue;
    }
    CHECK((line.empty() || line[0] == '#'));  // nothing else: no undocumented key slips in
  }
  const auto known = ferryd_setting_keys();
  CHECK(std::vector<std::string>(documented.begin(), documented.end()) == known);
}

TEST_CASE("a realistic ferryd config sets every table and keeps unnamed keys at their defaults",
          "[config][ferryd]") {
  const auto s = load_ok(R"(# production ferryd, three stores
[daemon]
socket = "/run/ferry/app.sock"
socket_mode = "0600"
socket_owner = "ferry"
socket_group = "apps"
listen_tcp = "0.0.0.0:7350"

[stores]
servers = [
  "10.0.0.1:7340",
  "10.0.0.2:7340",
  "[fd00::3]:7340",
]
replicas = 3
write_quorum = 2
connections = 4

[limits]
max_sessions = 20000
accept_rate = 0.5
accept_burst = 50
session_max_inflight_calls = 64
session_max_inflight_bytes = 67108864
memory_budget_bytes = 4294967296
max_record_bytes = 33554432

[deadlines]
small_op_ms = 500
bulk_cap_ms = 30000
attempt_floor_ms = 5

[health]
latency_weight = 0.5
outlier_factor = 4      # an integer is a number too
outlier_min_latency_us = 250.5
base_ejection_ms = 1500
max_ejected_fraction = 0.34

[runtime]
scheduler = "stealing"
scheduler_threads = 2
asio_threads = 2
meters = false

[log]
level = "debug"
file = "/var/log/ferry/ferryd.log"
stderr = false

[admin]
port = 7399
bind = "0.0.0.0"
tls_cert = "/etc/ferry/admin.pem"
tls_key = "/etc/ferry/admin.key"
tls_ca = "/etc/ferry/ca.pem"
metrics = "127.0.0.1:9464"
)");
  const ferryd_settings d;
  CHECK(s.daemon == daemon_settings{"/run/ferry/app.sock", 0600, "ferry", "apps", "0.0.0.0:7350", {}, {}});
  CHECK(s.stores == stores_settings{{"10.0.0.1:7340", "10.0.0.2:7340", "[fd00::3]:7340"}, 3, 2, 4});
  CHECK(s.limits == limits_settings{{0.5, 50, 20000}, 64, 64ull << 20, 4ull << 30, 32u << 20});
  CHECK(s.deadlines.small_op == 500ms);
  CHECK(s.deadlines.bulk_cap == 30s);
  CHECK(s.deadlines.attempt_floor == 5ms);
  CHECK(s.deadlines.bulk_base == d.deadlines.bulk_base);
  CHECK(s.deadlines.max_deadline == d.deadlines.max_deadline);
  CHECK(s.health.latency_weight == 0.5);
  CHECK(s.health.outlier_factor == 4.0);
  CHECK(s.health.outlier_min_latency.count() == 250.5);
  CHECK(s.health.base_ejection == 1500ms);
  CHECK(s.health.max_ejection == d.health.max_ejection);
  CHECK(s.health.max_ejected_fraction == 0.34);
  CHECK(s.runtime == runtime_settings{"stealing", 2, 2, false});
  CHECK(s.log == log_settings{"debug", "/var/log/ferry/ferryd.log", false});
  CHECK(s.admin == admin_settings{7399, "0.0.0.0", "/etc/ferry/admin.pem", "/etc/ferry/admin.key",
                                  "/etc/ferry/ca.pem", "127.0.0.1:9464", false});
  CHECK(has_stores(s));
}

TEST_CASE("a ferryd config may name the uids and gids allowed to connect", "[config][ferryd]") {
  const auto s = load_ok("[daemon]\nallow_uids = [1000, 0, 4294967295]\nallow_gids = [100]\n");
  CHECK(s.daemon.allow_uids == std::vector<std::uint32_t>{1000, 0, 4294967295u});
  CHECK(s.daemon.allow_gids == std::vector<std::uint32_t>{100});
  CHECK(load_ok("").daemon.allow_uids.empty());  // the default: everyone the socket's mode lets in
  CHECK(load_ok("").daemon.allow_gids.empty());
}

TEST_CASE("a ferryd config overlays its keys on the base it is given", "[config][ferryd]") {
  ferryd_settings base;
  base.stores.servers = {"a:1", "b:2"};
  base.limits.accept.max_sessions = 10;
  const auto kept = load_ok("[limits]\naccept_burst = 3\n", base);
  CHECK(kept.stores.servers == base.stores.servers);
  CHECK(kept.limits.accept.max_sessions == 10);
  CHECK(kept.limits.accept.burst == 3);
  const auto replaced = load_ok("[stores]\nservers = [\"c:3\"]\n", base);
  CHECK(replaced.stores.servers == std::vector<std::string>{"c:3"});  // replaced, not appended
  const auto dotted = load_ok("limits.max_sessions = 7\nstores.replicas = 3\n");
  CHECK(dotted.limits.accept.max_sessions == 7);
  CHECK(dotted.stores.replicas == 3);
  CHECK(load_ok("") == ferryd_settings{});
}

TEST_CASE("ferryd config structure mistakes name the line and the dotted key", "[config][ferryd]") {
  check_mistakes({
      {"[limits]\nmax_sessoins = 5\n", ":2: limits.max_sessoins: unknown key"},
      {"\n[limit]\nmax_sessions = 5\n", ":2: limit: unknown table"},
      {"socket = \"/x\"\n", ":1: socket: unknown key"},
      {"limits = 5\n", ":1: limits: expected a table"},
      {"[[stores]]\nreplicas = 2\n", ":1: stores: expected a table"},
      {"[limits.extra]\nx = 1\n", ":1: limits.extra: unknown key"},
      {"[daemon]\nsocket.path = \"/x\"\n", ":2: daemon.socket: expected a string"},
  });
  CHECK(error_of("[stores]\nreplicas = \n").rfind(":2: ", 0) == 0);  // toml++'s own syntax message
  auto r = load_ferryd_settings("/nonexistent/ferryd.toml", {});
  REQUIRE(std::holds_alternative<settings_error>(r));
  CHECK(std::get<settings_error>(r).message.rfind("/nonexistent/ferryd.toml:", 0) == 0);
}

TEST_CASE("ferryd config values of the wrong type or out of range are refused", "[config][ferryd]") {
  check_mistakes({
      {"[daemon]\nsocket = 5\n", ":2: daemon.socket: expected a string"},
      {"[daemon]\nsocket_mode = 660\n", ":2: daemon.socket_mode: expected an octal string such as \"0660\""},
      {"[daemon]\nsocket_mode = \"0o660\"\n", ":2: daemon.socket_mode: expected an octal string such as \"0660\""},
      {"[daemon]\nsocket_mode = \"0690\"\n", ":2: daemon.socket_mode: expected an octal string such as \"0660\""},
      {"[daemon]\nsocket_mode = \"00660\"\n", ":2: daemon.socket_mode: expected an octal string such as \"0660\""},
      {"[daemon]\nsocket_mode = \"\"\n", ":2: daemon.socket_mode: expected an octal string such as \"0660\""},
      {"[stores]\nservers = \"a:1\"\n", ":2: stores.servers: expected an array of strings"},
      {"[stores]\nservers = [\"a:1\", 2]\n", ":2: stores.servers: expected an array of strings"},
      {"[stores]\nreplicas = \"2\"\n", ":2: stores.replicas: expected an integer"},
      {"[stores]\nreplicas = 2.5\n", ":2: stores.replicas: expected an integer"},
      {"[stores]\nreplicas = 2.0\n", ":2: stores.replicas: expected an integer"},
      {"[stores]\nreplicas = true\n", ":2: stores.replicas: expected an integer"},
      {"[stores]\nreplicas = -1\n", ":2: stores.replicas: out of range"},
      {"[stores]\nconnections = 4294967296\n", ":2: stores.connections: out of range"},
      {"[limits]\naccept_rate = \"fast\"\n", ":2: limits.accept_rate: expected a number"},
      {"[limits]\naccept_rate = -1.0\n", ":2: limits.accept_rate: out of range"},
      {"[limits]\naccept_rate = inf\n", ":2: limits.accept_rate: out of range"},
      {"[limits]\nmax_record_bytes = 4294967296\n", ":2: limits.max_record_bytes: out of range"},
      {"[deadlines]\nsmall_op_ms = -5\n", ":2: deadlines.small_op_ms: out of range"},
      {"[deadlines]\nsmall_op_ms = \"2s\"\n", ":2: deadlines.small_op_ms: expected an integer (milliseconds)"},
      {"[health]\nlatency_weight = nan\n", ":2: health.latency_weight: out of range"},
      {"[health]\nbase_ejection_ms = 9223372036855\n", ":2: health.base_ejection_ms: out of range"},
      {"[log]\nstderr = 1\n", ":2: log.stderr: expected true or false"},
      {"[log]\nstderr = \"yes\"\n", ":2: log.stderr: expected true or false"},
      {"[admin]\nport = 65536\n", ":2: admin.port: out of range"},
      {"[daemon]\nallow_uids = 1000\n", ":2: daemon.allow_uids: expected an array of integers"},
      {"[daemon]\nallow_uids = [\"root\"]\n", ":2: daemon.allow_uids: expected an array of integers"},
      {"[daemon]\nallow_gids = [-1]\n", ":2: daemon.allow_gids: out of range: ids are 0..4294967295"},
      {"[daemon]\nallow_gids = [4294967296]\n", ":2: daemon.allow_gids: out of range: ids are 0..4294967295"},
      {"[admin]\nmetrics = \"9464\"\n", ":2: admin.metrics: expected HOST:PORT, got '9464'"},
  });
}

TEST_CASE("ferryd config values that break a rule are refused at their line", "[config][ferryd]") {
  check_mistakes({
      {"[daemon]\nsocket = \"\"\n", ":2: daemon.socket: must not be empty"},
      {("[daemon]\nsocket = \"/" + std::string(107, 's') + "\"\n").c_str(),
       ":2: daemon.socket: is 108 bytes long; a UNIX socket path holds 107"},
      {"[daemon]\nsocket_mode = \"4777\"\n", ":2: daemon.socket_mode: 04777 is beyond 0777: permission bits only"},
      {"[daemon]\nlisten_tcp = \"7350\"\n", ":2: daemon.listen_tcp: expected HOST:PORT, got '7350'"},
      {"[stores]\nservers = [\n  \"a:1\",\n  \"b\",\n]\n", ":4: stores.servers[1]: expected HOST:PORT, got 'b'"},
      {"[stores]\nservers = [\"a:1\", \"b:2\", \"a:1\"]\n",
       ":2: stores.servers[2]: 'a:1' is listed twice (also stores.servers[0])"},
      {"[stores]\nreplicas = 0\n", ":2: stores.replicas: must be at least 1"},
      {"[stores]\nwrite_quorum = 0\n", ":2: stores.write_quorum: must be at least 1"},
      {"[stores]\nconnections = 0\n", ":2: stores.connections: must be in 1..64"},
      {"[stores]\nconnections = 65\n", ":2: stores.connections: must be in 1..64"},
      {"[limits]\nmax_sessions = 0\n", ":2: limits.max_sessions: must be at least 1"},
      {"[limits]\naccept_rate = 0\n", ":2: limits.accept_rate: must be in 0.001..1000000 (connections per second)"},
      {"[limits]\naccept_burst = 0\n", ":2: limits.accept_burst: must be in 1..1000000"},
      {"[limits]\nsession_max_inflight_calls = 0\n", ":2: limits.session_max_inflight_calls: must be at least 1"},
      {"[limits]\nmax_record_bytes = 100\n", ":2: limits.max_record_bytes: must be in 4096..1073741824"},
      {"[shm]\nmax_region_bytes = 100\n", ":2: shm.max_region_bytes: must be in 4096..1099511627776"},
      {"[shm]\nmax_slots_in_flight = 0\n", ":2: shm.max_slots_in_flight: must be in 1..65536"},
      {"[shm]\nenabled = 1\n", ":2: shm.enabled: expected true or false"},
      {"[deadlines]\nsmall_op_ms = 0\n", ":2: deadlines.small_op_ms: must be positive"},
      {"[deadlines]\nbulk_cap_ms = 0\n", ":2: deadlines.bulk_cap_ms: must be positive"},
      {"[health]\nlatency_weight = 0\n", ":2: health.latency_weight: must be in (0, 1]"},
      {"[health]\nlatency_weight = 1.5\n", ":2: health.latency_weight: must be in (0, 1]"},
      {"[health]\neject_after_errors = 0\n", ":2: health.eject_after_errors: must be at least 1"},
      {"[health]\noutlier_factor = 1\n", ":2: health.outlier_factor: must be above 1"},
      {"[health]\nbase_ejection_ms = 0\n", ":2: health.base_ejection_ms: must be positive"},
      {"[health]\nmax_ejected_fraction = 1.5\n", ":2: health.max_ejected_fraction: must be in [0, 1]"},
      {"[runtime]\nscheduler = \"fast\"\n", ":2: runtime.scheduler: expected \"sharing\" or \"stealing\", got 'fast'"},
      {"[runtime]\nscheduler_threads = 300\n", ":2: runtime.scheduler_threads: must be in 0..256 (0: one a core)"},
      {"[runtime]\nasio_threads = 0\n", ":2: runtime.asio_threads: must be in 1..256"},
      {"[log]\nlevel = \"verbose\"\n",
       ":2: log.level: expected one of trace, debug, info, warn, error, critical, off; got 'verbose'"},
      {"[admin]\nbind = \"\"\n", ":2: admin.bind: must not be empty"},
      {"[admin]\ntls_cert = \"/c.pem\"\n", ":2: admin.tls_cert: set without admin.tls_key"},
      {"[admin]\ntls_key = \"/k.pem\"\n", ":2: admin.tls_key: set without admin.tls_cert"},
      {"[admin]\ntls_ca = \"/ca.pem\"\n", ":2: admin.tls_ca: set without admin.tls_cert and admin.tls_key"},
  });
}

TEST_CASE("a rule between two keys is reported at the key the file sets", "[config][ferryd]") {
  check_mistakes({
      // W in the file: W is blamed, even when R is set too.
      {"[stores]\nwrite_quorum = 3\n", ":2: stores.write_quorum: 3 is above stores.replicas (2)"},
      {"[stores]\nreplicas = 2\nwrite_quorum = 3\n", ":3: stores.write_quorum: 3 is above stores.replicas (2)"},
      // Only R in the file: R made the default W impossible, so R is blamed, worded from its side.
      {"[stores]\nreplicas = 1\n", ":2: stores.replicas: 1 is below stores.write_quorum (2)"},
      {"[limits]\nsession_max_inflight_bytes = 1048576\n",
       ":2: limits.session_max_inflight_bytes: 1048576 is below limits.max_record_bytes (16842752)"},
      {"[limits]\nmax_record_bytes = 67108864\n",
       ":2: limits.max_record_bytes: 67108864 is above limits.session_max_inflight_bytes (33554432)"},
      {"[limits]\nmemory_budget_bytes = 16842752\n",
       ":2: limits.memory_budget_bytes: 16842752 is below limits.session_max_inflight_bytes (33554432)"},
      {"[shm]\nmax_total_bytes = 4096\n", ":2: shm.max_total_bytes: 4096 is below shm.max_region_bytes (268435456)"},
      {"[shm]\nmax_region_bytes = 4294967296\n",
       ":2: shm.max_region_bytes: 4294967296 is above shm.max_total_bytes (2147483648)"},
      {"[deadlines]\nbulk_cap_ms = 1000\n", ":2: deadlines.bulk_cap_ms: 1000 is below deadlines.bulk_base_ms (2000)"},
      {"[deadlines]\nbulk_base_ms = 90000\n",
       ":2: deadlines.bulk_base_ms: 90000 is above deadlines.bulk_cap_ms (60000)"},
      {"[deadlines]\nmax_deadline_ms = 1000\n",
       ":2: deadlines.max_deadline_ms: 1000 is below deadlines.small_op_ms (2000)"},
      {"[deadlines]\nmax_deadline_ms = 30000\n",
       ":2: deadlines.max_deadline_ms: 30000 is below deadlines.bulk_cap_ms (60000)"},
      {"[deadlines]\nsmall_op_ms = 700000\n",
       ":2: deadlines.small_op_ms: 700000 is above deadlines.max_deadline_ms (600000)"},
      {"[deadlines]\nattempt_floor_ms = 5000\n",
       ":2: deadlines.attempt_floor_ms: 5000 is above deadlines.small_op_ms (2000)"},
      {"[deadlines]\nsmall_op_ms = 5\n", ":2: deadlines.small_op_ms: 5 is below deadlines.attempt_floor_ms (10)"},
      {"[health]\nmax_ejection_ms = 5000\n",
       ":2: health.max_ejection_ms: 5000 is below health.base_ejection_ms (10000)"},
      {"[health]\nbase_ejection_ms = 600000\n",
       ":2: health.base_ejection_ms: 600000 is above health.max_ejection_ms (300000)"},
      {"[log]\nstderr = false\n",
       ":2: log.stderr: false with no log.file sends the event log nowhere (level \"off\" says so)"},
      {"[admin]\nport = 7399\nbind = \"0.0.0.0\"\n",
       ":3: admin.bind: '0.0.0.0' is off loopback: set admin.tls_cert and admin.tls_key"},
      {"[admin]\nbind = \"192.168.1.5\"\nport = 7399\n",
       ":2: admin.bind: '192.168.1.5' is off loopback: set admin.tls_cert and admin.tls_key"},
  });
  ferryd_settings public_admin;
  public_admin.admin.bind = "0.0.0.0";
  CHECK(error_of("[admin]\nport = 7399\n", public_admin) ==
        ":2: admin.port: publishes on '0.0.0.0', off loopback: set admin.tls_cert and admin.tls_key");
}

TEST_CASE("loopback admin, quiet logs and an unpublished admin need no more keys", "[config][ferryd]") {
  for (const char* bind : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"}) {
    INFO(bind);
    CHECK(load_ok(std::string("[admin]\nport = 7399\nbind = \"") + bind + "\"\n").admin.bind == bind);
  }
  CHECK(load_ok("[admin]\nbind = \"0.0.0.0\"\n").admin.port == 0);  // not published: nothing exposed
  CHECK(load_ok("[log]\nstderr = false\nlevel = \"off\"\n").log.level == "off");
  CHECK(load_ok("[log]\nstderr = false\nfile = \"/tmp/f.log\"\n").log.file == "/tmp/f.log");
  CHECK(load_ok("[daemon]\nsocket_mode = \"0\"\n").daemon.socket_mode == 0);
  CHECK(load_ok("[daemon]\nsocket_mode = \"777\"\n").daemon.socket_mode == 0777);
  CHECK(load_ok("[stores]\nreplicas = 3\nwrite_quorum = 1\n").stores.write_quorum == 1);
}

TEST_CASE("a problem in the base that the file does not touch names no line", "[config][ferryd]") {
  ferryd_settings bad;
  bad.stores.replicas = 0;
  CHECK(error_of("[limits]\nmax_sessions = 5\n", bad) == ": stores.replicas: must be at least 1");
}

TEST_CASE("check words problems for settings set on the command line too", "[config][ferryd]") {
  ferryd_settings s;
  s.stores.servers = {"127.0.0.1:7340"};
  CHECK(has_stores(s));
  CHECK_FALSE(check(s));
  s.stores.write_quorum = 3;  // --write-quorum 3
  auto p = check(s);
  REQUIRE(p);
  CHECK(describe(*p) == "stores.write_quorum: 3 is above stores.replicas (2)");
  CHECK(p->other_key == "stores.replicas");
  CHECK(p->other_message == "2 is below stores.write_quorum (3)");
  s.stores.write_quorum = 2;
  s.stores.servers.push_back("nope");  // --store nope
  p = check(s);
  REQUIRE(p);
  CHECK(describe(*p) == "stores.servers[1]: expected HOST:PORT, got 'nope'");
  CHECK(p->other_key.empty());
}
