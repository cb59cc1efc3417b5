// rpc_connection: state first (xid table, deadlines, batch, connection phase), behaviour second.
// Every transition happens in a handler; the link does the I/O and answers with messages.
#include "actors/rpc_connection/rpc_connection.hpp"

#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <unordered_map>
#include <utility>

#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "xdr/rpc.hpp"
#include "actors/metering/metered.hpp"

namespace ferry::actors {

const char* to_string(rpc_errc x) noexcept {
  switch (x) {
    case rpc_errc::unavailable: return "unavailable";
    case rpc_errc::timedout: return "timedout";
    case rpc_errc::protocol_error: return "protocol_error";
    case rpc_errc::overloaded: return "overloaded";
  }
  return "unknown";
}

caf::error make_error(rpc_errc x) { return caf::error(static_cast<std::uint8_t>(x), rpc_errc_category); }

caf::error make_error(rpc_errc x, std::string context) {
  return caf::error(static_cast<std::uint8_t>(x), rpc_errc_category, caf::make_message(std::move(context)));
}

void add_rpc_error_category(caf::actor_system_config& cfg) {
  cfg.add_error_category(rpc_errc_category, [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
    std::string out = "rpc_connection: ";
    out += to_string(static_cast<rpc_errc>(code));
    if (ctx.match_elements<std::string>()) out += " (" + ctx.get_as<std::string>(0) + ")";
    return out;
  });
}

namespace {

using flush_atom = caf::atom_constant<caf::atom("rc_flush")>;
using deadline_atom = caf::atom_constant<caf::atom("rc_dline")>;
using retry_atom = caf::atom_constant<caf::atom("rc_retry")>;
using connect_timeout_atom = caf::atom_constant<caf::atom("rc_ctmo")>;

using time_point = caf::actor_clock::time_point;

struct rpc_connection_state {
  static inline const char* name = "rpc_connection";

  // Waiting to retry, connection attempt under way, connected, or shut down (exit received).
  enum class phase { idle, connecting, connected, stopped };

  struct pending_call {
    caf::response_promise promise;
    time_point deadline;
    time_point sent;  // taken: the latency histogram measures from here to the reply
    std::uint64_t batch = 0;            // the number of the batch its bytes go out in (per connection)
    std::uint64_t written_before = 0;   // batches the link had written when it was taken
    bool sink = false;                  // its reply may land in a sink: the link forgets it on timeout
  };

  caf::stateful_actor<rpc_connection_state>* self = nullptr;
  rpc_connection_config cfg;
  std::unique_ptr<link> io;
  phase state = phase::idle;
  std::uint64_t conn = 0;         // number of the current connection attempt
  std::uint64_t retry_epoch = 0;  // number of the retry timer that counts
  unsigned attempt = 0;           // failed attempts since the last open connection
  std::mt19937_64 rng;

  std::unordered_map<std::uint32_t, pending_call> calls;  // the xid table
  std::set<std::pair<time_point, std::uint32_t>> deadlines;
  std::optional<time_point> armed;  // the earliest deadline tick pending
  std::uint32_t next_xid = 1;

  outgoing_batch batch;
  std::size_t batch_calls = 0;
  std::uint64_t batches_flushed = 0;  // on the current connection: the batch being built is the next
  bool flush_scheduled = false;

  rpc_connection_stats stats;

  explicit rpc_connection_state(caf::stateful_actor<rpc_connection_state>*) {}
  rpc_connection_state(const rpc_connection_state&) = delete;
  rpc_connection_state& operator=(const rpc_connection_state&) = delete;

  // Runs when the actor ends for any reason, kill included: nobody waits forever, the socket closes.
  ~rpc_connection_state() {
    fail_all(rpc_errc::unavailable, "connection actor terminated");
    io.reset();
  }

  void init(caf::stateful_actor<rpc_connection_state>* s, rpc_connection_config c, std::unique_ptr<link> l) {
    self = s;
    cfg = std::move(c);
    io = std::move(l);
    rng.seed(cfg.seed != 0 ? cfg.seed : std::random_device{}());
    next_xid = static_cast<std::uint32_t>(rng());
  }

  time_point now() const { return self->clock().now(); }

  // --- answers ----------------------------------------------------------------------------------

  void fail(caf::response_promise& rp, rpc_errc why, std::string context) {
    ++stats.errors;
    switch (why) {
      case rpc_errc::unavailable: ++stats.unavailable; break;
      case rpc_errc::timedout: ++stats.timeouts; break;
      case rpc_errc::protocol_error: ++stats.protocol_errors; break;
      case rpc_errc::overloaded: ++stats.overloaded; break;
    }
    rp.deliver(make_error(why, std::move(context)));
  }

  void fail_all(rpc_errc why, const std::string& context) {
    auto taken = std::move(calls);
    calls.clear();
    deadlines.clear();
    for (auto& [xid, call] : taken) fail(call.promise, why, context);
    batch = outgoing_batch{};
    batch_calls = 0;
  }

  // --- calls --------------------------------------------------------------------------------------

  void take_call(rpc_call& c) {
    auto rp = self->make_response_promise();
    ++stats.calls;
    if (state != phase::connected) return fail(rp, rpc_errc::unavailable, "not connected to " + cfg.server);
    if (calls.size() >= cfg.max_in_flight) return fail(rp, rpc_errc::overloaded, "too many calls in flight");
    if (c.timeout <= caf::timespan::zero()) return fail(rp, rpc_errc::timedout, "no time left");
    if (c.args && c.args->body.size() % 4 != 0)
      return fail(rp, rpc_errc::protocol_error, "arguments are not a whole number of XDR words");
    while (calls.count(next_xid) != 0) ++next_xid;
    auto xid = next_xid++;
    auto& body = batch.body;
    body.begin_record();
    xdr::rpc::encode_call(body, {xid, cfg.program, cfg.version, c.proc, {cfg.cred_flavor, cfg.cred_body}, {}});
    if (c.args) {
      body.append(c.args->body);  // small items copied, large opaques stay referenced
      batch.owners.push_back(c.args);
    }
    body.end_record();
    const bool sink = c.sink != nullptr;
    if (sink) batch.sinks.emplace_back(xid, std::move(c.sink));
    auto deadline = now() + c.timeout;
    calls.emplace(xid, pending_call{std::move(rp), deadline, now(), batches_flushed + 1,
                                    io->batches_written().value_or(0), sink});
    deadlines.emplace(deadline, xid);
    arm(deadline);
    if (++batch_calls >= cfg.max_batch_calls) {
      flush();
    } else if (!flush_scheduled) {
      // Lands behind the calls already queued in the mailbox: they all join this batch.
      flush_scheduled = true;
      self->send(self, flush_atom::value);
    }
  }

  void flush() {
    if (batch_calls == 0) return;
    ++stats.batches;
    ++batches_flushed;
    const auto bytes = batch.body.owned_size(), segments = batch.body.segment_count();
    const auto owners = batch.owners.size();
    io->send(std::move(batch));
    batch = outgoing_batch{};
    // The next batch is likely the size of this one: one allocation up front instead of the doubling
    // steps (under load a batch holds hundreds of calls; glibc consolidates its fast bins before every
    // allocation that large, a tenth of ferryd's CPU when it grew step by step).
    batch.body.reserve(bytes, segments);
    batch.owners.reserve(owners);
    batch_calls = 0;
  }

  void take_reply(const shared_bytes& record, std::uint32_t diverted) {
    auto head = xdr::rpc::decode_head(*record);
    if (!head || head->type != xdr::rpc::msg_type::reply) {
      ++stats.protocol_errors;  // no call to charge it to
      return;
    }
    auto it = calls.find(head->xid);
    if (it == calls.end()) {
      ++stats.late_replies;
      return;
    }
    auto call = std::move(it->second);
    calls.erase(it);
    deadlines.erase({call.deadline, head->xid});
    stats.latency.record(now() - call.sent);
    auto reply = xdr::rpc::decode_reply(*record);
    if (!reply) return fail(call.promise, rpc_errc::protocol_error, "bad reply: " + xdr::describe(reply.error()));
    if (reply->stat != xdr::rpc::reply_stat::accepted)
      return fail(call.promise, rpc_errc::protocol_error, "call denied by the server");
    if (reply->accepted != xdr::rpc::accept_stat::success)
      return fail(call.promise, rpc_errc::protocol_error, std::string(xdr::rpc::to_string(reply->accepted)));
    ++stats.replies;
    auto offset = static_cast<std::uint32_t>(record->size() - reply->results.size());
    call.promise.deliver(rpc_reply{record, offset, diverted});
  }

  // --- deadlines: one pending tick, for the earliest deadline -----------------------------------

  void arm(time_point t) {
    if (armed && *armed <= t) return;
    armed = t;
    auto delay = std::max(caf::timespan::zero(), std::chrono::duration_cast<caf::timespan>(t - now()));
    self->delayed_send(self, delay, deadline_atom::value,
                       static_cast<std::int64_t>(t.time_since_epoch().count()));
  }

  void expire(std::int64_t tick) {
    if (armed && armed->time_since_epoch().count() == tick) armed.reset();
    auto t = now();
    const auto written = io->batches_written();
    bool stalled = false;
    while (!deadlines.empty() && deadlines.begin()->first <= t) {
      auto xid = deadlines.begin()->second;
      deadlines.erase(deadlines.begin());
      auto it = calls.find(xid);
      if (it == calls.end()) continue;
      auto call = std::move(it->second);
      calls.erase(it);
      // Its bytes not all written, and no batch at all written in its whole lifetime: the server stopped
      // reading (or cannot take one call in its time). Waiting on would only keep its bytes (and the
      // buffers they reference, a client's shared-memory slot among them) held for nothing.
      if (written && state == phase::connected && *written < call.batch && *written == call.written_before)
        stalled = true;
      if (call.sink) io->forget(xid);
      fail(call.promise, rpc_errc::timedout, "no reply in time from " + cfg.server);
    }
    if (stalled) {
      ++stats.write_stalls;
      return lose("a call's bytes could not be written within its timeout (the server stopped reading)");
    }
    if (!deadlines.empty()) arm(deadlines.begin()->first);
  }

  // --- connection ---------------------------------------------------------------------------------

  void connect() {
    state = phase::connecting;
    io->open(++conn);
    self->delayed_send(self, cfg.connect_timeout, connect_timeout_atom::value, conn);
  }

  void retry_later() {
    state = phase::idle;
    auto u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    auto delay = reconnect_delay(cfg.backoff, attempt, u);
    attempt = std::min(attempt + 1, 62u);
    self->delayed_send(self, delay, retry_atom::value, ++retry_epoch);
  }

  void notify(bool connected, std::string reason) {
    if (cfg.listener)
      self->send(cfg.listener, connection_state_changed{self->address(), cfg.server, connected, std::move(reason)});
  }

  void opened(const link_opened& ev) {
    if (ev.conn != conn || state != phase::connecting) return;
    state = phase::connected;
    attempt = 0;
    batches_flushed = 0;
    ++stats.connects;
    notify(true, {});
  }

  void closed(const link_closed& ev) {
    if (ev.conn != conn) return;
    if (state == phase::connecting) {
      ++stats.connect_failures;
      io->close();
      retry_later();
    } else if (state == phase::connected) {
      lose(ev.reason);
    }
  }

  void connect_timed_out(std::uint64_t c) {
    if (c != conn || state != phase::connecting) return;
    ++stats.connect_failures;
    io->close();
    retry_later();
  }

  // The connection died: nothing in flight on it can be answered any more (the router retries).
  void lose(const std::string& reason) {
    ++stats.disconnects;
    io->close();
    fail_all(rpc_errc::unavailable, "connection to " + cfg.server + " lost: " + reason);
    notify(false, reason);
    retry_later();
  }

  void shutdown(const std::string& reason) {
    auto was_connected = state == phase::connected;
    state = phase::stopped;
    io->close();
    fail_all(rpc_errc::unavailable, "connection actor shutting down");
    if (was_connected) notify(false, reason);
  }

  rpc_connection_stats snapshot() const {
    auto s = stats;
    s.connected = state == phase::connected;
    s.in_flight = calls.size();
    return s;
  }
};

using rpc_connection_actor = caf::stateful_actor<rpc_connection_state>;

caf::behavior rpc_connection(rpc_connection_actor* self, rpc_connection_config cfg, link_factory make_link) {
  auto owner = caf::actor_cast<caf::actor>(self);
  self->state.init(self, std::move(cfg), make_link(std::move(owner)));
  // Trap exits to answer every call before going (a kill skips this; the state's destructor answers).
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (!msg.reason) return;  // a linked actor ended normally: ignored, as without the handler
    self->state.shutdown(self->system().render(msg.reason));
    self->quit(msg.reason);
  });
  self->state.connect();
  return {
      [self](rpc_call& c) { self->state.take_call(c); },
      [self](flush_atom) {
        self->state.flush_scheduled = false;
        if (self->state.state == rpc_connection_state::phase::connected) self->state.flush();
      },
      [self](link_records& ev) {
        auto& st = self->state;
        if (ev.conn != st.conn || st.state != rpc_connection_state::phase::connected) return;
        for (std::size_t i = 0; i < ev.records.size(); ++i)
          st.take_reply(ev.records[i], i < ev.diverted.size() ? ev.diverted[i] : 0);
      },
      [self](const link_opened& ev) { self->state.opened(ev); },
      [self](const link_closed& ev) { self->state.closed(ev); },
      [self](deadline_atom, std::int64_t tick) { self->state.expire(tick); },
      [self](retry_atom, std::uint64_t epoch) {
        auto& st = self->state;
        if (epoch == st.retry_epoch && st.state == rpc_connection_state::phase::idle) st.connect();
      },
      [self](connect_timeout_atom, std::uint64_t c) { self->state.connect_timed_out(c); },
      [self](rpc_stats_atom) { return self->state.snapshot(); },
  };
}

}  // namespace

caf::actor spawn_rpc_connection(caf::actor_system& sys, rpc_connection_config cfg, link_factory make_link) {
  auto* meters = cfg.meters;
  return metering::spawn_maybe_metered(sys, meters, "rpc_connection", rpc_connection, std::move(cfg), std::move(make_link));
}

caf::actor spawn_rpc_connection(caf::local_actor* parent, rpc_connection_config cfg, link_factory make_link) {
  auto* meters = cfg.meters;
  return metering::spawn_maybe_metered(parent, meters, "rpc_connection", rpc_connection, std::move(cfg),
                                       std::move(make_link));
}

std::function<caf::expected<caf::actor>(caf::local_actor*, const caf::message&)>
rpc_connection_starter(rpc_connection_config cfg, link_factory make_link) {
  return [cfg = std::move(cfg), make_link = std::move(make_link)](caf::local_actor* parent,
                                                                    const caf::message&) -> caf::expected<caf::actor> {
    return spawn_rpc_connection(parent, cfg, make_link);
  };
}

}  // namespace ferry::actors
