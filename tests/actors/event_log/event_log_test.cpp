// The event_log actor on CAF's test coordinator: every supervision report as an exact line,
// level control at run time, flushing, the file sink and the starter's errors. Lines are
// captured by a sink passed as extra_sink; stderr is off.
#include <catch2/catch.hpp>

#include <cctype>

#include <caf/all.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/base_sink.h>

#include "actors/event_log/event_log.hpp"
#include "supervision/supervisor.hpp"

using namespace std::chrono_literals;
using namespace ferry::actors;
namespace sv = supervision;
namespace fs = std::filesystem;

namespace {

/// Keeps every formatted line (without its line end) and counts flushes.
class capture_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  std::vector<std::string> raw;
  int flushes = 0;

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::string line(buf.data(), buf.size());
    if (!line.empty() && line.back() == '\n') line.pop_back();
    raw.push_back(std::move(line));
  }
  void flush_() override { ++flushes; }
};

/// A line without its timestamp, which is checked for shape instead: "ts=YYYY-MM-DDTHH:MM:SS.uuuuuuZ ".
/// (By hand, not std::regex: GCC 12 warns maybe-uninitialized inside <regex> at -O1 with sanitizers.)
std::string without_ts(const std::string& line) {
  static constexpr std::string_view shape = "ts=dddd-dd-ddTdd:dd:dd.ddddddZ ";
  REQUIRE(line.size() >= shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i) {
    INFO("timestamp byte " << i << " of: " << line);
    if (shape[i] == 'd')
      REQUIRE(std::isdigit(static_cast<unsigned char>(line[i])));
    else
      REQUIRE(line[i] == shape[i]);
  }
  return line.substr(shape.size());
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "event_log_test.XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_all(const fs::path& p) {
  std::ifstream in{p};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  caf::scoped_actor self;
  std::shared_ptr<capture_sink> sink = std::make_shared<capture_sink>();
  std::vector<caf::actor> spawned;

  static caf::actor_system_config& init(caf::actor_system_config& c) {
    c.set("scheduler.policy", caf::atom("testing"));
    return c;
  }

  fixture()
    : sys(init(cfg)),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())),
      self(sys, true) {}

  ~fixture() {
    // ~actor_system waits for every actor.
    for (auto& a : spawned) caf::anon_send_exit(a, caf::exit_reason::kill);
    settle();
  }

  void settle() {
    while (sched.run() > 0) {
    }
  }

  event_log_config config(std::string level = "info") {
    event_log_config c;
    c.level = std::move(level);
    c.to_stderr = false;
    c.extra_sink = sink;
    return c;
  }

  caf::actor spawn(std::string level = "info") {
    auto a = spawn_event_log(sys, config(std::move(level)));
    spawned.push_back(a);
    settle();
    return a;
  }

  /// Captured lines, timestamps cut off.
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    for (const auto& l : sink->raw) out.push_back(without_ts(l));
    return out;
  }

  template <class T>
  T request(const caf::actor& a, auto msg) {
    self->send(a, std::move(msg));
    settle();
    T result{};
    self->receive([&](T& x) { result = std::move(x); },
                  [&](caf::error& e) { FAIL("unexpected error " << sys.render(e)); },
                  caf::after(0s) >> [] { FAIL("no reply"); });
    return result;
  }

  caf::error request_error(const caf::actor& a, auto msg) {
    self->send(a, std::move(msg));
    settle();
    caf::error result;
    self->receive([&](caf::error& e) { result = std::move(e); },
                  [&](caf::ok_atom) { FAIL("expected an error"); },
                  caf::after(0s) >> [] { FAIL("no reply"); });
    return result;
  }

  /// Some live actor whose address stands in for a supervised child.
  caf::actor dummy() {
    // Spawned with an argument: CAF 0.17 binds a null tuple for none (UBSan flags it).
    auto a = sys.spawn([](caf::event_based_actor*, int) -> caf::behavior { return {[](int) {}}; }, 0);
    spawned.push_back(a);
    return a;
  }
};

}  // namespace

TEST_CASE_METHOD(fixture, "a log_event becomes one line with its fields in order", "[event_log]") {
  auto ev = spawn();
  log(ev, spdlog::level::info, "listener", "session_opened",
      {{"peer", "10.0.0.7:41234"}, {"note", "first of \"many\""}});
  settle();
  REQUIRE(sink->raw.size() == 1);
  CHECK(lines()[0] == "level=info component=listener event=session_opened peer=10.0.0.7:41234"
                      " note=\"first of \\\"many\\\"\"");
}

TEST_CASE_METHOD(fixture, "events at level off or out of range are dropped", "[event_log]") {
  auto ev = spawn("trace");
  log(ev, spdlog::level::off, "a", "b");
  log(ev, static_cast<spdlog::level::level_enum>(42), "a", "b");
  log(ev, static_cast<spdlog::level::level_enum>(-1), "a", "b");
  log(ev, spdlog::level::trace, "a", "kept");
  settle();
  CHECK(lines() == std::vector<std::string>{"level=trace component=a event=kept"});
}

TEST_CASE_METHOD(fixture, "log() with a null handle does nothing", "[event_log]") {
  log(caf::actor{}, spdlog::level::err, "x", "y");
  CHECK(sched.jobs.empty());
}

TEST_CASE_METHOD(fixture, "child_started is info and names supervisor, child and actor id",
                 "[event_log][supervision]") {
  auto ev = spawn();
  auto child = dummy();
  caf::anon_send(ev, sv::child_started{"root", 7, "listener", child.address()});
  settle();
  REQUIRE(sink->raw.size() == 1);
  CHECK(lines()[0] == "level=info component=supervisor event=child_started supervisor=root"
                      " supervisor_id=7 child=listener actor=" + std::to_string(child.id()));
}

TEST_CASE_METHOD(fixture, "child_exited is info for normal and user_shutdown, warn otherwise",
                 "[event_log][supervision]") {
  auto ev = spawn();
  auto child = dummy();
  auto id = std::to_string(child.id());
  caf::anon_send(ev, sv::child_exited{"root", 7, "a", child.address(), caf::error{}, false});
  caf::anon_send(ev, sv::child_exited{"root", 7, "b", child.address(),
                                      caf::make_error(caf::exit_reason::user_shutdown), true});
  caf::anon_send(ev, sv::child_exited{"root", 7, "c", child.address(),
                                      caf::make_error(caf::sec::runtime_error), false});
  caf::anon_send(ev, sv::child_exited{"root", 7, "d", child.address(),
                                      caf::make_error(caf::sec::runtime_error, "boom here"), false});
  caf::anon_send(ev, sv::child_exited{"root", 7, "e", caf::actor_addr{},
                                      caf::make_error(caf::exit_reason::kill), true});
  settle();
  auto prefix = std::string{"component=supervisor event=child_exited supervisor=root supervisor_id=7"};
  CHECK(lines() == std::vector<std::string>{
    "level=info " + prefix + " child=a actor=" + id + " reason=normal ordered=false",
    "level=info " + prefix + " child=b actor=" + id + " reason=exit_reason(user_shutdown) ordered=true",
    "level=warn " + prefix + " child=c actor=" + id + " reason=system_error(runtime_error) ordered=false",
    "level=warn " + prefix + " child=d actor=" + id +
      R"x( reason="system_error(runtime_error, (\"boom here\"))" ordered=false)x",
    "level=warn " + prefix + " child=e actor=0 reason=exit_reason(kill) ordered=true",
  });
}

TEST_CASE_METHOD(fixture, "child_restarting is warn with attempt and delay",
                 "[event_log][supervision]") {
  auto ev = spawn();
  caf::anon_send(ev, sv::child_restarting{"per-server", 12, "conn-1", caf::timespan{250ms}, 3});
  caf::anon_send(ev, sv::child_restarting{"per-server", 12, "conn-2", caf::timespan{0}, 0});
  settle();
  CHECK(lines() == std::vector<std::string>{
    "level=warn component=supervisor event=child_restarting supervisor=per-server supervisor_id=12"
    " child=conn-1 attempt=3 delay=250ms",
    "level=warn component=supervisor event=child_restarting supervisor=per-server supervisor_id=12"
    " child=conn-2 attempt=0 delay=0s",
  });
}

TEST_CASE_METHOD(fixture, "child_start_failed is error with the rendered reason",
                 "[event_log][supervision]") {
  auto ev = spawn();
  caf::anon_send(ev, sv::child_start_failed{"root", 1, "listener",
                                            caf::make_error(caf::sec::runtime_error, "port in use")});
  settle();
  REQUIRE(sink->raw.size() == 1);
  CHECK(lines()[0] == "level=error component=supervisor event=child_start_failed supervisor=root"
                      R"x( supervisor_id=1 child=listener reason="system_error(runtime_error, (\"port in use\"))")x");
}

TEST_CASE_METHOD(fixture, "supervisor_escalated is error with intensity and period",
                 "[event_log][supervision]") {
  auto ev = spawn();
  caf::anon_send(ev, sv::supervisor_escalated{"root", 1, caf::make_error(caf::sec::runtime_error),
                                              3, caf::timespan{5s}});
  settle();
  REQUIRE(sink->raw.size() == 1);
  CHECK(lines()[0] == "level=error component=supervisor event=supervisor_escalated supervisor=root"
                      " supervisor_id=1 reason=system_error(runtime_error) intensity=3 period=5s");
}

TEST_CASE_METHOD(fixture, "debug is dropped at info and written after set_log_level debug",
                 "[event_log][level]") {
  auto ev = spawn("info");
  CHECK(request<std::string>(ev, get_log_level{}) == "info");
  log(ev, spdlog::level::debug, "router", "placement", {{"key", "k1"}});
  settle();
  CHECK(sink->raw.empty());
  request<caf::ok_atom>(ev, set_log_level{"debug"});
  CHECK(request<std::string>(ev, get_log_level{}) == "debug");
  log(ev, spdlog::level::debug, "router", "placement", {{"key", "k2"}});
  settle();
  CHECK(lines() == std::vector<std::string>{
    "level=info component=event_log event=level_changed from=info to=debug",
    "level=debug component=router event=placement key=k2",
  });
}

TEST_CASE_METHOD(fixture, "raising the level drops lower events, the change itself included",
                 "[event_log][level]") {
  auto ev = spawn("debug");
  request<caf::ok_atom>(ev, set_log_level{"warning"});
  CHECK(request<std::string>(ev, get_log_level{}) == "warn");
  log(ev, spdlog::level::info, "a", "dropped");
  log(ev, spdlog::level::warn, "a", "kept");
  settle();
  CHECK(lines() == std::vector<std::string>{"level=warn component=a event=kept"});
}

TEST_CASE_METHOD(fixture, "an unknown level name is rejected and the level is kept",
                 "[event_log][level]") {
  auto ev = spawn("info");
  auto err = request_error(ev, set_log_level{"loud"});
  CHECK(err == caf::sec::invalid_argument);
  CHECK(sys.render(err).find("unknown level loud") != std::string::npos);
  CHECK(request<std::string>(ev, get_log_level{}) == "info");
  CHECK(sink->raw.empty());
}

TEST_CASE_METHOD(fixture, "warn and above flush at once, info does not, and exit flushes",
                 "[event_log][flush]") {
  auto ev = spawn("debug");
  struct row {
    spdlog::level::level_enum level;
    int flushes_after;
  };
  for (auto [lvl, flushes_after] : {row{spdlog::level::info, 0}, row{spdlog::level::warn, 1},
                                    row{spdlog::level::err, 2}, row{spdlog::level::critical, 3},
                                    row{spdlog::level::debug, 3}}) {
    CAPTURE(level_name(lvl));
    log(ev, lvl, "a", "b");
    settle();
    CHECK(sink->flushes == flushes_after);
  }
  caf::anon_send_exit(ev, caf::exit_reason::user_shutdown);
  settle();
  CHECK(sink->flushes == 4);
  CHECK(sink->raw.size() == 5);
}

TEST_CASE_METHOD(fixture, "the starter appends lines to the file and keeps its content",
                 "[event_log][file]") {
  temp_dir tmp;
  auto file = tmp.path / "ferryd.log";
  std::ofstream{file} << "earlier line\n";
  auto c = config();
  c.file = file.string();
  auto ev = event_log_starter(c)(self.ptr(), caf::message{});
  REQUIRE(ev);
  spawned.push_back(*ev);
  settle();
  log(*ev, spdlog::level::info, "daemon", "started", {{"version", "0.1.0"}});
  settle();
  caf::anon_send_exit(*ev, caf::exit_reason::user_shutdown);
  settle();
  auto text = read_all(file);
  REQUIRE(text.rfind("earlier line\nts=", 0) == 0);
  auto second = text.substr(std::string{"earlier line\n"}.size());
  REQUIRE(second.back() == '\n');
  second.pop_back();
  CHECK(second.find('\n') == std::string::npos);
  CHECK(without_ts(second) == "level=info component=daemon event=started version=0.1.0");
}

TEST_CASE_METHOD(fixture, "the starter returns an error for a file it cannot open",
                 "[event_log][file]") {
  temp_dir tmp;
  std::ofstream{tmp.path / "plain"} << "x";
  for (auto bad : {tmp.path / "missing" / "ferryd.log", tmp.path / "plain" / "ferryd.log"}) {
    CAPTURE(bad);
    auto c = config();
    c.file = bad.string();
    auto ev = event_log_starter(c)(self.ptr(), caf::message{});
    REQUIRE_FALSE(ev);
    CHECK(ev.error() == caf::sec::runtime_error);
    CHECK(sys.render(ev.error()).find("event log: cannot open " + bad.string() + ": ") !=
          std::string::npos);
  }
  CHECK_FALSE(fs::exists(tmp.path / "missing"));  // no directory is created
}

TEST_CASE_METHOD(fixture, "a bad level in the config fails the starter and ends a spawned log",
                 "[event_log][level]") {
  auto from_starter = event_log_starter(config("chatty"))(self.ptr(), caf::message{});
  REQUIRE_FALSE(from_starter);
  CHECK(from_starter.error() == caf::sec::invalid_argument);

  auto ev = spawn_event_log(sys, config("chatty"));
  self->monitor(ev);
  settle();
  caf::error reason;
  self->receive([&](caf::down_msg& dm) { reason = dm.reason; },
                caf::after(0s) >> [] { FAIL("no down message"); });
  CHECK(reason == caf::sec::invalid_argument);
}

TEST_CASE_METHOD(fixture, "as report sink and as a supervised child, real reports become lines",
                 "[event_log][supervision]") {
  auto ev = spawn();
  auto child_sink = std::make_shared<capture_sink>();
  auto child_cfg = config();
  child_cfg.extra_sink = child_sink;
  sv::supervisor_spec spec;
  spec.flags.name = "root";
  spec.flags.intensity = 5;
  spec.flags.report_sink = ev;
  spec.children = {sv::child_spec{"event_log", event_log_starter(child_cfg)}};
  auto sup = sv::start_supervisor(sys, spec);
  REQUIRE(sup);
  spawned.push_back(*sup);
  settle();
  auto children = request<std::vector<sv::child_info>>(*sup, sv::which_children{});
  REQUIRE(children.size() == 1);
  auto first = children[0].actor;
  REQUIRE(first);
  self->send_exit(first, caf::make_error(caf::sec::runtime_error));
  settle();
  children = request<std::vector<sv::child_info>>(*sup, sv::which_children{});
  REQUIRE(children.size() == 1);
  REQUIRE(children[0].actor);
  CHECK(children[0].actor != first);
  auto sup_id = std::to_string(sup->id());
  auto prefix = "component=supervisor event=";
  auto who = " supervisor=root supervisor_id=" + sup_id + " child=event_log";
  CHECK(lines() == std::vector<std::string>{
    "level=info " + (prefix + ("child_started" + who)) + " actor=" + std::to_string(first.id()),
    "level=warn " + (prefix + ("child_exited" + who)) + " actor=" + std::to_string(first.id()) +
      " reason=system_error(runtime_error) ordered=false",
    "level=warn " + (prefix + ("child_restarting" + who)) + " attempt=0 delay=0s",
    "level=info " + (prefix + ("child_started" + who)) + " actor=" +
      std::to_string(children[0].actor.id()),
  });
}
