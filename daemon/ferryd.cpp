// ferryd: the ferry client daemon. Reads its settings (flags over an optional TOML file), starts the
// supervision tree (daemon/tree.hpp), prints "ferryd ready on ..." once serving, then waits for signals:
// SIGHUP reloads, SIGTERM/SIGINT drain and exit 0. The main thread is not an actor: it only waits for
// signals and talks to the tree through a scoped_actor.
#include <pthread.h>
#include <signal.h>

#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <unistd.h>
#include <random>
#include <set>
#include <atomic>
#include <thread>

#include "actors/event_log/event_log.hpp"
#include "actors/listener/listener_actor.hpp"
#include "actors/router/router_messages.hpp"
#include "actors/rpc_connection/messages.hpp"
#include "daemon/command_line.hpp"
#include "daemon/metrics.hpp"
#include "transport/http/metrics_endpoint.hpp"
#include "transport/io_thread.hpp"
#include "daemon/tls_check.hpp"
#include "daemon/tree.hpp"
#include "supervision/messages.hpp"
#include "supervision/supervisor.hpp"

namespace {

using namespace std::chrono_literals;
namespace fd = ferry::daemon;
namespace fa = ferry::actors;
using ferry::config::ferryd_settings;
using ferry::config::operator==;  // the router's settings structs compare there

/// Work the admin actor hands to the main thread (reload, drain), which takes it between signals.
class main_queue {
 public:
  /// Runs `task` on the main thread and waits (bounded) for its result; nullopt when it timed out.
  template <class T>
  std::optional<T> run(std::function<T()> task, std::chrono::seconds limit) {
    auto job = std::make_shared<std::packaged_task<T()>>(std::move(task));
    auto result = job->get_future();
    {
      std::lock_guard<std::mutex> guard(mutex_);
      jobs_.push_back([job] { (*job)(); });
    }
    kill(getpid(), SIGUSR1);  // blocked in every thread: sigtimedwait on the main thread takes it
    if (result.wait_for(limit) != std::future_status::ready) return std::nullopt;
    return result.get();
  }
  /// Main thread: runs what was queued.
  void run_queued() {
    std::deque<std::function<void()>> jobs;
    {
      std::lock_guard<std::mutex> guard(mutex_);
      jobs.swap(jobs_);
    }
    for (auto& j : jobs) j();
  }

 private:
  std::mutex mutex_;
  std::deque<std::function<void()>> jobs_;
};

class daemon_process {
 public:
  daemon_process(fd::command_line cl, ferryd_settings s, caf::actor_system& sys, fd::runtime& rt)
      : cl_(std::move(cl)), settings_(std::move(s)), sys_(sys), rt_(rt), self_(sys) {}

  /// Starts the tree; false (with the reason on stderr) when a child cannot start.
  bool start() {
    wire_admin();
    auto root = supervision::start_supervisor(sys_, fd::root_spec(settings_, rt_));
    if (!root) {
      std::fprintf(stderr, "ferryd: %s\n", sys_.render(root.error()).c_str());
      return false;
    }
    root_ = *root;
    sys_.registry().put(fd::root_name, root_);
    self_->monitor(root_);
    bool ok = false;
    self_->request(root_, 60s, supervision::await_started{})
        .receive([&](caf::ok_atom) { ok = true; },
                 [&](caf::error& e) { std::fprintf(stderr, "ferryd: cannot start: %s\n", sys_.render(e).c_str()); });
    if (!ok) return false;
    if (!settings_.admin.metrics.empty() && !open_metrics()) return false;
    // Ready means routable: wait (bounded) until every store has a connection up; a store that is down
    // now is named in the log and reconnected to in the background.
    auto routes = wait_for_routes(std::chrono::seconds(5));
    std::string tcp;
    if (!settings_.daemon.listen_tcp.empty()) tcp_address_ = listener_address("tcp");
    if (!tcp_address_.empty()) tcp = " tcp " + tcp_address_;
    if (auto a = rt_.admin_address(); !a.empty()) tcp += " admin " + a;
    if (metrics_) tcp += " metrics " + metrics_->address();
    std::printf("ferryd ready on %s%s\n", settings_.daemon.socket.c_str(), tcp.c_str());
    std::fflush(stdout);
    log(spdlog::level::info, "started",
        {{"socket", settings_.daemon.socket},
         {"stores", std::to_string(settings_.stores.servers.size())},
         {"replicas", std::to_string(settings_.stores.replicas)},
         {"write_quorum", std::to_string(settings_.stores.write_quorum)},
         {"connections", std::to_string(settings_.stores.connections)},
         {"scheduler", settings_.runtime.scheduler},
         {"stores_connected", std::to_string(routes.servers_connected) + "/" + std::to_string(routes.servers)}});
    return true;
  }

  /// Waits for signals until told to stop or the tree dies. The exit status.
  int run() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    for (;;) {
      timespec tick{0, 200'000'000};
      int sig = sigtimedwait(&set, nullptr, &tick);
      queue_.run_queued();
      if (drain_requested_) {
        // The drain job ran; its answer leaves on the admin actor's thread. Bounded: a lost admin still
        // lets ferryd exit.
        const auto until = std::chrono::steady_clock::now() + 5s;
        while (!drain_answered_.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(1ms);
        drain(0);
        return stop() ? 0 : 1;
      }
      if (tree_died()) {
        std::fprintf(stderr, "ferryd: the supervision tree gave up (%s); exiting\n", sys_.render(root_exit_).c_str());
        return 1;
      }
      if (sig == SIGHUP) reload();
      if (sig == SIGTERM || sig == SIGINT) {
        drain(sig);
        return stop() ? 0 : 1;
      }
    }
  }

 private:
  void log(spdlog::level::level_enum level, std::string what, fa::event_fields fields = {}) {
    fa::log(sys_.registry().get<caf::actor>(fd::event_log_name), level, "ferryd", std::move(what), std::move(fields));
  }

  fa::router_stats router_stats() {
    fa::router_stats out;
    if (auto router = sys_.registry().get<caf::actor>(fd::router_name))
      self_->request(router, 5s, fa::router_stats_atom::value).receive([&](fa::router_stats& s) { out = s; }, [](caf::error&) {});
    return out;
  }

  fa::router_stats wait_for_routes(std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    auto s = router_stats();
    while (s.servers_connected < s.servers && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(5ms);
      s = router_stats();
    }
    if (s.servers_connected < s.servers)
      log(spdlog::level::warn, "stores_unreachable_at_start",
          {{"connected", std::to_string(s.servers_connected)}, {"stores", std::to_string(s.servers)}});
    return s;
  }

  bool tree_died() {
    bool died = false;
    self_->receive([&](caf::down_msg& m) {
                     died = true;
                     root_exit_ = m.reason;
                   },
                   caf::after(0s) >> [] {});
    return died;
  }

  /// The running listeners (listener_sup's children), empty when it is not running.
  std::vector<supervision::child_info> listeners() {
    std::vector<supervision::child_info> out;
    if (auto sup = sys_.registry().get<caf::actor>(fd::listeners_name))
      self_->request(sup, 5s, supervision::which_children{})
          .receive([&](std::vector<supervision::child_info>& kids) { out = std::move(kids); }, [](caf::error&) {});
    std::erase_if(out, [](const supervision::child_info& k) { return !k.actor; });
    return out;
  }

  /// The bound address of listener `id` ("tcp": HOST:PORT with the port resolved), "" when it is not running.
  std::string listener_address(const std::string& id) {
    std::string address;
    for (auto& k : listeners())
      if (k.id == id)
        self_->request(k.actor, 5s, fa::listener_stats_atom::value)
            .receive([&](fa::listener_stats& st) { address = st.address; }, [](caf::error&) {});
    return address;
  }

  /// GET /metrics on its own io thread: rendering asks actors with bounded, blocking requests.
  bool open_metrics() {
    ferry::transport::metrics_endpoint_options o;
    ferry::config::split_host_port(settings_.admin.metrics, o.host, o.port);  // checked by config::check
    metrics_io_ = std::make_unique<ferry::transport::io_thread>();
    auto opened = ferry::transport::metrics_endpoint::open(metrics_io_->context(), o,
                                                           [this] { return fd::render_metrics(sys_, rt_); });
    if (auto* err = std::get_if<std::string>(&opened)) {
      std::fprintf(stderr, "ferryd: %s\n", err->c_str());
      return false;
    }
    metrics_ = std::move(std::get<0>(opened));
    return true;
  }

  /// The admin actor's view of this process, and its reload and drain, run on the main thread.
  void wire_admin() {
    auto& ctx = *rt_.admin;
    ctx.root_name = fd::root_name;
    ctx.router_name = fd::router_name;
    ctx.sessions_name = fd::sessions_name;
    ctx.event_log_name = fd::event_log_name;
    ctx.meters = &rt_.meters();
    const auto started = std::chrono::steady_clock::now();
    ctx.local_status = [this, started] {
      ferry::admin::node_status s;
      s.version = "0.1.0";
      s.pid = getpid();
      s.uptime_ms = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
      s.node = rt_.admin_address();
      s.socket = settings_.daemon.socket;  // [daemon] is never changed by a reload
      s.tcp = tcp_address_;
      auto b = rt_.budget();
      s.sessions = b->sessions();
      s.calls_in_flight = b->calls_in_flight();
      s.memory_budget_used = b->used();
      s.memory_budget_limit = b->limit();
      s.shm_regions = b->shm_regions();
      s.shm_mapped_bytes = b->shm_mapped();
      s.shm_calls = b->shm_calls();
      s.shm_bytes = b->shm_bytes();
      s.shm_bytes_in_place = b->shm_bytes_in_place();
      s.shm_bytes_copied = b->shm_bytes_copied();
      s.draining = b->draining();
      return s;
    };
    ctx.reload = [this] {
      auto r = queue_.run<ferry::admin::reload_reply>([this] { return reload(); }, std::chrono::seconds(30));
      return r ? *r : ferry::admin::reload_reply{false, "the main thread did not answer within 30 s", ""};
    };
    ctx.drain = [this] {
      auto r = queue_.run<ferry::admin::drain_reply>(
          [this] {
            drain_requested_ = true;
            return ferry::admin::drain_reply{rt_.budget()->sessions(), rt_.budget()->calls_in_flight()};
          },
          std::chrono::seconds(30));
      // From here the admin actor sends the answer; the main thread waits for this before it stops the
      // tree (and the middleman with the process), or ferryctl could be left without one.
      drain_answered_.store(true, std::memory_order_release);
      return r ? *r : ferry::admin::drain_reply{};
    };
  }

  // SIGHUP or ferryctl reload: re-read the file, apply what can change live, keep the rest (and say so).
  ferry::admin::reload_reply reload() {
    auto next = fd::resolve_settings(cl_);
    if (auto* err = std::get_if<std::string>(&next)) {
      log(spdlog::level::err, "reload_refused", {{"reason", *err}});
      return {false, *err, ""};
    }
    auto n = std::get<ferryd_settings>(std::move(next));
    std::vector<std::string> applied, kept;
    auto& o = settings_;

    // Stores: the router learns the new set first, so connections of added stores can enroll.
    std::set<std::string> before(o.stores.servers.begin(), o.stores.servers.end());
    std::set<std::string> after(n.stores.servers.begin(), n.stores.servers.end());
    if (before != after) {
      std::vector<fa::server_entry> entries;
      for (const auto& s : n.stores.servers) entries.push_back({s, {}});
      if (auto router = sys_.registry().get<caf::actor>(fd::router_name)) caf::anon_send(router, fa::set_servers{entries});
      auto backend = sys_.registry().get<caf::actor>(fd::backend_name);
      for (const auto& s : before) {
        if (after.count(s) || !backend) continue;
        auto id = fd::store_child_id(s);
        self_->request(backend, 10s, supervision::terminate_child{id, {}}).receive([](caf::ok_atom) {}, [](caf::error&) {});
        self_->request(backend, 10s, supervision::delete_child{id}).receive([](caf::ok_atom) {}, [](caf::error&) {});
        applied.push_back("removed store " + s);
      }
      for (const auto& s : after) {
        if (before.count(s) || !backend) continue;
        self_->request(backend, 10s, supervision::start_child{fd::store_child(s, n, rt_)})
            .receive([](caf::actor&) {}, [&](caf::error& e) {
              log(spdlog::level::err, "store_start_failed", {{"store", s}, {"reason", sys_.render(e)}});
            });
        applied.push_back("added store " + s);
      }
    }
    if (!(o.limits == n.limits)) {
      rt_.budget()->set_limit(n.limits.memory_budget_bytes);
      for (auto& l : listeners()) caf::anon_send(l.actor, fa::set_accept_limits{n.limits.accept});
      applied.push_back("limits");
    }
    if (!(o.deadlines == n.deadlines) || !(o.limits == n.limits) || !(o.shm == n.shm)) {
      rt_.set_sessions(fd::session_defaults_of(n));
      if (!(o.deadlines == n.deadlines)) applied.push_back("session deadlines (new sessions)");
      if (!(o.shm == n.shm)) applied.push_back("[shm] (sessions attaching from now on)");
    }
    if (o.log.level != n.log.level) {
      if (auto el = sys_.registry().get<caf::actor>(fd::event_log_name))
        self_->request(el, 5s, fa::set_log_level{n.log.level}).receive([](caf::ok_atom) {}, [](caf::error&) {});
      applied.push_back("log level " + n.log.level);
    }
    if (!(o.daemon == n.daemon)) kept.push_back("[daemon]");
    if (o.stores.replicas != n.stores.replicas || o.stores.write_quorum != n.stores.write_quorum ||
        o.stores.connections != n.stores.connections)
      kept.push_back("stores.replicas/write_quorum/connections");
    if (!(o.health == n.health)) kept.push_back("[health]");
    if (!(o.deadlines == n.deadlines)) kept.push_back("router deadlines");
    if (!(o.runtime == n.runtime)) kept.push_back("[runtime]");
    if (o.log.file != n.log.file || o.log.to_stderr != n.log.to_stderr) kept.push_back("log.file/log.stderr");
    if (!(o.admin == n.admin)) kept.push_back("[admin]");
    // What was kept keeps its running value, so the next reload compares against what runs.
    o.stores.servers = n.stores.servers;
    o.limits = n.limits;
    o.shm = n.shm;
    o.log.level = n.log.level;
    auto join = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
      return out.empty() ? std::string("nothing") : out;
    };
    log(spdlog::level::info, "reloaded", {{"applied", join(applied)}, {"needs_restart", join(kept)}});
    return {true, join(applied), join(kept)};
  }

  // Stop accepting, then wait (bounded) until every call taken has been answered on its socket.
  void drain(int sig) {
    log(spdlog::level::info, "draining", {{"signal", sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "ferryctl drain"},
                                          {"calls_in_flight", std::to_string(rt_.budget()->calls_in_flight())}});
    self_->request(root_, 10s, supervision::terminate_child{fd::listeners_id, {}})
        .receive([](caf::ok_atom) {}, [](caf::error&) {});
    rt_.budget()->start_draining();  // open sessions answer new calls SHUTTING_DOWN from now on
    const auto until = std::chrono::steady_clock::now() + cl_.drain_grace;
    while (rt_.budget()->calls_in_flight() > 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(5ms);  // the main thread polls a counter; no actor waits
    log(spdlog::level::info, "drained", {{"calls_unanswered", std::to_string(rt_.budget()->calls_in_flight())},
                                         {"sessions", std::to_string(rt_.budget()->sessions())}});
  }

  bool stop() {
    if (metrics_) metrics_->close();
    self_->send_exit(root_, caf::exit_reason::user_shutdown);
    bool down = false;
    self_->receive([&](caf::down_msg&) { down = true; }, caf::after(30s) >> [] {});
    if (!down) {
      std::fprintf(stderr, "ferryd: the tree did not stop within 30 s; killing it\n");
      self_->send_exit(root_, caf::exit_reason::kill);
    }
    return down;
  }

  fd::command_line cl_;
  ferryd_settings settings_;
  caf::actor_system& sys_;
  fd::runtime& rt_;
  caf::scoped_actor self_;
  caf::actor root_;
  caf::error root_exit_;
  main_queue queue_;
  std::unique_ptr<ferry::transport::io_thread> metrics_io_;
  std::unique_ptr<ferry::transport::metrics_endpoint> metrics_;  // closed before the tree stops
  bool drain_requested_ = false;  // main thread only
  std::atomic<bool> drain_answered_{false};  // set by the admin actor's thread, read by the main thread
  std::string tcp_address_;       // the TCP listener's bound address, "" when none
};

caf::actor_system_config& configure(caf::actor_system_config& cfg, const ferryd_settings& s) {
  if (s.runtime.scheduler == "stealing")
    cfg.set("scheduler.policy", caf::atom("stealing"));
  else
    cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(fd::caf_worker_threads(s.runtime.scheduler_threads,
                                                                                   std::thread::hardware_concurrency())));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  fa::add_rpc_error_category(cfg);
  ferry::admin::add_admin_types(cfg);
  cfg.load<caf::io::middleman>();
  // A silent or frozen ferryctl is noticed (CAF's defaults of 0 never notice one).
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::seconds(2)});
  cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(6)});
  if (!s.admin.tls_cert.empty()) {
    cfg.load<caf::openssl::manager>();
    cfg.set("openssl.certificate", s.admin.tls_cert);
    cfg.set("openssl.key", s.admin.tls_key);
    if (!s.admin.tls_ca.empty()) cfg.set("openssl.cafile", s.admin.tls_ca);
  }
  return cfg;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  // Every thread started from here on inherits the mask: signals are only taken by sigtimedwait below.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);  // the admin actor's wake-up call for the main thread (main_queue)
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto parsed = fd::parse_command_line(argc, argv);
  if (auto* code = std::get_if<int>(&parsed)) return *code;
  auto cl = std::get<fd::command_line>(std::move(parsed));
  auto resolved = fd::resolve_settings(cl);
  if (auto* err = std::get_if<std::string>(&resolved)) {
    std::fprintf(stderr, "%s\n", err->c_str());
    return 2;
  }
  auto settings = std::get<ferryd_settings>(std::move(resolved));
  // CAF aborts the process at the first TLS connection when a file is bad: check them before anything runs.
  if (!settings.admin.tls_cert.empty()) {
    if (auto problem = fd::check_tls_files(settings.admin.tls_cert, settings.admin.tls_key, settings.admin.tls_ca)) {
      std::fprintf(stderr, "ferryd: admin TLS: %s\n", problem->c_str());
      return 2;
    }
  }
  if (cl.writer_id == 0) cl.writer_id = std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32);

  fd::runtime rt(settings);  // io threads before the actor system, stopped after it
  rt.writer_id = cl.writer_id;
  int status = 1;
  {
    caf::actor_system_config cfg;
    caf::actor_system sys{configure(cfg, settings)};
    daemon_process d(cl, settings, sys, rt);
    if (d.start()) status = d.run();
  }
  rt.stop_io();
  return status;
}
