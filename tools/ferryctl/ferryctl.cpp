// ferryctl: the operator's admin tool. Asks one or many ferryd nodes' admin actors (CAF middleman,
// optionally TLS) concurrently, each bounded by --timeout, and prints one aggregated view (README.md).
#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "address.hpp"
#include "node_link.hpp"
#include "render_json.hpp"
#include "render_text.hpp"
#include "tls_files.hpp"
#include "view.hpp"

namespace {

using namespace ferry::ctl;
namespace admin = ferry::admin;
using std::chrono::milliseconds;

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
// How long past a deadline ferryctl waits for a node's thread to hand over its answer.
constexpr milliseconds grace{300};

struct global_options {
  std::vector<std::string> nodes;
  std::vector<std::string> clusters;
  unsigned timeout_ms = 3000;
  bool json = false;
  std::string tls_ca, tls_cert, tls_key, tls_passphrase;
};

struct top_options {
  bool once = false;
  unsigned interval_ms = 1000;
  unsigned iterations = 0;  // 0: until Ctrl-C
  std::size_t limit = 30;
};

class cluster {
 public:
  cluster(const std::vector<endpoint>& nodes, const link_options& opts) : timeout_(opts.timeout) {
    for (const auto& n : nodes) {
      names_.push_back(n.text);
      links_.push_back(std::make_unique<node_link>(n, opts));
    }
  }

  /// Sends `req` to every node at once; the first request of a link shares its connect deadline, later
  /// ones get a full timeout of their own.
  template <class Reply, class Request>
  std::vector<node_result<Reply>> ask(const Request& req) {
    auto g = std::make_shared<gather<Reply>>(links_.size());
    auto latest = clock::now();
    for (std::size_t i = 0; i < links_.size(); ++i) {
      auto deadline = first_ ? links_[i]->connect_deadline() : clock::now() + timeout_;
      latest = std::max(latest, deadline);
      links_[i]->post([g, i, req, deadline, timeout = timeout_, name = names_[i]](link_context& c) {
        node_result<Reply> r;
        r.node = name;
        if (!c.admin) {
          r.why = failure::unreachable;
          r.error = c.error;
        } else {
          auto wait = std::max(std::chrono::duration_cast<milliseconds>(deadline - clock::now()), milliseconds(1));
          (*c.self)->request(c.admin, wait, req).receive([&](Reply& x) { r.reply = std::move(x); },
                                                         [&](caf::error& e) {
                                                           r.why = failure::request_failed;
                                                           r.error = describe(*c.sys, e, timeout);
                                                         });
        }
        g->put(i, std::move(r));
      });
    }
    first_ = false;
    return g->wait(latest + grace, names_, timeout_);
  }

  /// Ends every link by a shared bound; false when one is stuck (CAF's middleman blocked in connect()).
  bool stop() {
    auto deadline = clock::now() + milliseconds(500);
    bool all = true;
    for (auto& l : links_) all = l->stop(deadline) && all;
    return all;
  }

 private:
  milliseconds timeout_;
  bool first_ = true;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<node_link>> links_;
};

// One stderr line a failed node; true when there was any.
template <class Reply>
bool report_failures(const std::vector<node_result<Reply>>& nodes) {
  bool any = false;
  for (const auto& n : nodes)
    if (!n.ok()) {
      fmt::print(stderr, "ferryctl: {} {}: {}\n", n.node, failure_words(n.why), n.error);
      any = true;
    }
  return any;
}

template <class Reply>
int show(const std::vector<node_result<Reply>>& nodes, bool json, std::string (*text)(const std::vector<node_result<Reply>>&),
         std::string (*as_json)(const std::vector<node_result<Reply>>&)) {
  std::fputs((json ? as_json(nodes) : text(nodes)).c_str(), stdout);
  return report_failures(nodes) ? exit_failed : exit_ok;
}

int run_top(cluster& c, const global_options& g, const top_options& t) {
  bool failed = false;
  bool tty = isatty(STDOUT_FILENO) == 1;
  auto before = c.ask<admin::top_reply>(admin::top_request{});
  unsigned screens = t.once ? 1 : t.iterations;
  for (unsigned k = 0; screens == 0 || k < screens; ++k) {
    std::this_thread::sleep_for(milliseconds(t.interval_ms));
    auto after = c.ask<admin::top_reply>(admin::top_request{});
    std::vector<node_result<top_screen>> view;
    for (std::size_t i = 0; i < after.size(); ++i) {
      node_result<top_screen> s;
      s.node = after[i].node;
      const auto& missing = !before[i].ok() ? before[i] : after[i];
      if (before[i].ok() && after[i].ok()) s.reply = top_delta(*before[i].reply, *after[i].reply, s.node);
      else {
        s.why = missing.why;
        s.error = missing.error;
      }
      view.push_back(std::move(s));
    }
    if (!g.json && tty && !t.once) std::fputs("\033[H\033[2J", stdout);
    std::fputs((g.json ? json_top(view, t.limit) : render_top(view, t.limit)).c_str(), stdout);
    std::fflush(stdout);
    failed = report_failures(view) || failed;
    before = std::move(after);
  }
  return failed ? exit_failed : exit_ok;
}

// Returns `code` when every link stopped; else flushes what was printed and leaves with _exit, since a
// middleman stuck in connect() would block its actor system's destructor forever.
int finish(cluster& c, int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (!c.stop()) _exit(code);
  return code;
}

const char* footer =
    "Nodes: --node HOST:PORT (repeatable) and --cluster HOST:PORT,HOST:PORT,... together name the nodes;\n"
    "without either, ferryctl asks 127.0.0.1:7420. Several nodes are asked concurrently and shown in one view\n"
    "with totals; --timeout bounds connecting plus each request per node, so ferryctl returns within about\n"
    "its timeout whatever the nodes do.\n"
    "TLS: --tls-ca, --tls-cert and --tls-key together (PEM), --tls-passphrase (or $FERRYCTL_TLS_PASSPHRASE)\n"
    "for an encrypted key.\n"
    "Exit codes: 0 every node answered, 1 a node was unreachable or a request failed (reload refused\n"
    "included), 2 usage error (bad option, address or TLS file).\n";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ferryctl: inspect and steer ferryd nodes through their admin actor", "ferryctl"};
  app.footer(footer);
  app.require_subcommand(1);
  app.fallthrough();
  global_options g;
  top_options t;
  std::string level;
  app.add_option("--node", g.nodes, "a ferryd admin endpoint HOST:PORT (repeatable; default 127.0.0.1:7420)")
      ->type_name("HOST:PORT");
  app.add_option("--cluster", g.clusters, "several nodes at once: HOST:PORT,HOST:PORT,...")
      ->type_name("LIST");
  app.add_option("--timeout", g.timeout_ms, "per-node bound in ms for connecting plus one request")
      ->check(CLI::Range(1u, 3'600'000u))
      ->capture_default_str();
  app.add_flag("--json", g.json, "print one JSON document (a line) instead of text");
  auto* ca = app.add_option("--tls-ca", g.tls_ca, "PEM CA that signed ferryd's certificate")->type_name("FILE");
  auto* cert = app.add_option("--tls-cert", g.tls_cert, "PEM certificate of ferryctl")->type_name("FILE");
  auto* key = app.add_option("--tls-key", g.tls_key, "PEM private key of --tls-cert")->type_name("FILE");
  auto* pass = app.add_option("--tls-passphrase", g.tls_passphrase, "passphrase of an encrypted --tls-key")
                   ->envname("FERRYCTL_TLS_PASSPHRASE")
                   ->type_name("TEXT");
  for (auto* o : {ca, cert, key}) o->needs(ca)->needs(cert)->needs(key);
  pass->needs(key);

  auto* status = app.add_subcommand("status", "one row a node: version, uptime, sessions, calls, servers, CPU");
  auto* tree = app.add_subcommand("tree", "the live supervision tree: status and restarts of every child");
  auto* top = app.add_subcommand("top", "actors by CPU% between two snapshots, refreshing");
  top->add_flag("--once", t.once, "one screen from two snapshots --interval apart, then exit");
  top->add_option("--interval", t.interval_ms, "ms between snapshots")->check(CLI::Range(1u, 3'600'000u))->capture_default_str();
  top->add_option("--iterations", t.iterations, "screens before exiting (0: until Ctrl-C)")->capture_default_str();
  top->add_option("--limit", t.limit, "rows a screen (0: every actor)")->capture_default_str();
  auto* servers = app.add_subcommand("servers", "data servers as each node's router sees them, with latency");
  auto* sessions = app.add_subcommand("sessions", "client sessions of each node");
  auto* drain = app.add_subcommand("drain", "stop accepting, finish calls in flight, exit (as SIGTERM)");
  auto* reload = app.add_subcommand("reload", "re-read the configuration file (as SIGHUP)");
  std::string child_path;
  auto* restart = app.add_subcommand("restart", "kill one child so its supervisor restarts it (e.g. a store's pool)");
  restart->add_option("path", child_path, "child ids from the root, '/'-separated: \"backend_sup/store HOST:PORT\"")
      ->required();
  auto* log_level = app.add_subcommand("log-level", "show the event log level, or set it to LEVEL");
  log_level->add_option("level", level, "trace, debug, info, warn, error, critical or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }

  auto collected = collect_endpoints(g.nodes, g.clusters);
  if (auto* why = std::get_if<std::string>(&collected)) {
    fmt::print(stderr, "ferryctl: {}\n", *why);
    return exit_usage;
  }
  link_options opts;
  opts.timeout = milliseconds(g.timeout_ms);
  if (!g.tls_ca.empty() || !g.tls_cert.empty() || !g.tls_key.empty()) {
    opts.tls = tls_files{g.tls_ca, g.tls_cert, g.tls_key, g.tls_passphrase};
    if (auto why = check_tls_files(*opts.tls)) {
      fmt::print(stderr, "ferryctl: {}\n", *why);
      return exit_usage;
    }
  }

  cluster c(std::get<std::vector<endpoint>>(collected), opts);
  int code = exit_ok;
  if (*status) {
    code = show(c.ask<admin::node_status>(admin::status_request{}), g.json, render_status, json_status);
  } else if (*tree) {
    code = show(c.ask<admin::tree_reply>(admin::tree_request{}), g.json, render_trees, json_tree);
  } else if (*top) {
    code = run_top(c, g, t);
  } else if (*servers) {
    code = show(c.ask<admin::servers_reply>(admin::servers_request{}), g.json, render_servers, json_servers);
  } else if (*sessions) {
    code = show(c.ask<admin::sessions_reply>(admin::sessions_request{}), g.json, render_sessions, json_sessions);
  } else if (*drain) {
    code = show(c.ask<admin::drain_reply>(admin::drain_request{}), g.json, render_drain, json_drain);
  } else if (*reload) {
    auto nodes = c.ask<admin::reload_reply>(admin::reload_request{});
    code = show(nodes, g.json, render_reload, json_reload);
    for (const auto& n : nodes)
      if (n.ok() && !n.reply->ok) {
        fmt::print(stderr, "ferryctl: {} refused the reload: {}\n", n.node, n.reply->applied);
        code = exit_failed;
      }
  } else if (*restart) {
    auto nodes = c.ask<admin::restart_reply>(admin::restart_request{child_path});
    code = show(nodes, g.json, render_restart, json_restart);
    for (const auto& n : nodes)
      if (n.ok() && !n.reply->ok) {
        fmt::print(stderr, "ferryctl: {} refused the restart: {}\n", n.node, n.reply->message);
        code = exit_failed;
      }
  } else if (*log_level) {
    code = show(c.ask<admin::log_level_reply>(admin::log_level_request{level}), g.json, render_log_level,
                json_log_level);
  }
  return finish(c, code);
}
