// router: state first (server set, HLC, health, pending table with one deadline timer, open uploads with
// one idle timer), behaviour second. Every request gets an id in the pending table and an entry in the
// deadline set; both go on its answer.
#include "actors/router/router_actor.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/router/hlc.hpp"
#include "actors/router/list_merge.hpp"
#include "actors/router/placement.hpp"
#include "actors/router/read_quorum.hpp"
#include "actors/router/uploads.hpp"
#include "actors/rpc_connection/call_args.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/store.hpp"
#include "actors/metering/metered.hpp"

namespace ferry::actors {
namespace {

namespace ps = proto::store;
using router::duration;
using router::server_id;
using router::time_point;
using proto::status;

/// Self-sent when the earliest request deadline is due.
using deadline_tick_atom = caf::atom_constant<caf::atom("rtr_tick")>;
/// Self-sent when the earliest upload idle deadline is due.
using upload_tick_atom = caf::atom_constant<caf::atom("rtr_idle")>;

std::string clip(std::string s) {
  if (s.size() > proto::max_detail) s.resize(proto::max_detail);
  return s;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

template <class Reply>
Reply failed(status code, std::string detail) {
  Reply r;
  r.code = code;
  r.detail = clip(std::move(detail));
  return r;
}

template <class Reply>
void deliver_failure(caf::typed_response_promise<Reply>& rp, status code, std::string detail) {
  rp.deliver(failed<Reply>(code, std::move(detail)));
}

/// Why one attempt got no usable answer, as a ferry status and a few words for the detail.
struct attempt_failure {
  status code = status::unavailable;
  std::string what;
};

attempt_failure describe(const caf::error& e) {
  if (e.category() == rpc_errc_category) {
    switch (static_cast<rpc_errc>(e.code())) {
      case rpc_errc::unavailable: return {status::unavailable, "unavailable"};
      case rpc_errc::timedout: return {status::timedout, "timed out"};
      case rpc_errc::protocol_error: return {status::io_error, "protocol error"};
      case rpc_errc::overloaded: return {status::overloaded, "overloaded"};
    }
  }
  if (e.category() == caf::atom("system")) {
    if (e.code() == static_cast<std::uint8_t>(caf::sec::request_timeout)) return {status::timedout, "timed out"};
    if (e.code() == static_cast<std::uint8_t>(caf::sec::request_receiver_down))
      return {status::unavailable, "connection actor gone"};
  }
  return {status::unavailable, "rpc failure"};
}

attempt_failure describe(status code, std::string_view detail) {
  std::string what{proto::to_string(code)};
  if (!detail.empty()) what.append(" (").append(detail).append(")");
  return {code, std::move(what)};
}

using attempt_result = std::variant<rpc_reply, caf::error>;

struct connection_slot {
  caf::actor handle;
  bool connected = true;  // until told otherwise: a call to a down connection fails fast anyway
};
struct server_slot {
  std::vector<connection_slot> conns;
  std::size_t next = 0;  // round-robin cursor
  bool any_connected() const {
    return std::any_of(conns.begin(), conns.end(), [](const connection_slot& c) { return c.connected; });
  }
};

struct write_op {
  caf::typed_response_promise<write_reply> rp;
  router::write_quorum tally;
  std::size_t replicas = 0;
  std::size_t write_quorum = 0;
  std::vector<std::string> failures;
};
/// A read's answer in hand: the client's procedure answered by one replica, kept until the read knows it
/// is the newest version (or the newest it can learn).
using read_answer = std::variant<get_reply, stat_reply, read_reply>;
struct held_read {
  router::replica_view view;
  read_answer answer;
};
struct read_op {
  std::variant<caf::typed_response_promise<get_reply>, caf::typed_response_promise<stat_reply>,
               caf::typed_response_promise<read_reply>>
      rp;
  store_request call;            // the client's procedure (GET, STAT or READ): a "fetch"
  store_request probe;           // STAT of the key: a replica's version without its value
  xdr::bytes_view key;           // a view into key_owner
  shared_bytes key_owner;
  std::vector<server_id> order;  // replicas in the order to ask
  std::size_t next = 0;          // next index in order
  std::size_t quorum = 1;        // views waited for: R − W + 1, less the replicas known to be out
  std::size_t wanted = 1;        // R − W + 1 (fewer views than this: a degraded read)
  std::size_t in_flight = 0;     // fetches and probes out
  std::size_t fetches_out = 0;
  std::vector<server_id> fetched_from{};  // replicas asked for the value (the client's procedure)
  time_point calls_end{};        // every call ends by then: what is in hand can still answer in time
  std::vector<router::replica_view> views{};
  std::optional<held_read> held{};
  std::vector<std::string> failures{};
};
struct list_op {
  caf::typed_response_promise<list_reply> rp;
  std::uint32_t limit = 0;
  std::size_t outstanding = 0;
  std::size_t servers = 0;
  std::size_t tolerable = 0;  // failed servers that still leave every key with an answering replica
  std::vector<proto::list_page> pages;
  std::vector<shared_bytes> owners;
  std::vector<std::string> failures;
};

/// Shared by one WRITE_OPEN's replica callbacks, which outlive its pending entry: where late openers go.
struct open_round {
  std::uint64_t upload = 0;  // the upload made on success; 0: none, late openers are aborted
};
struct open_op {
  caf::typed_response_promise<write_open_reply> rp;
  std::shared_ptr<open_round> round;
  std::string key;
  proto::version ver;
  std::size_t replicas = 0;
  std::size_t write_quorum = 0;
  std::vector<router::upload_replica> opened;
  std::uint32_t chunk_size = 0;  // the smallest any opened replica asked for
  std::vector<std::string> failures;
};
struct chunk_op {
  caf::typed_response_promise<status_reply> rp;
  std::uint64_t upload = 0;
  std::size_t sent = 0;  // replicas the chunk went to
  std::size_t acks = 0;  // from replicas still in the upload
  std::vector<std::string> failures;
};

using pending_op = std::variant<write_op, read_op, list_op, open_op, chunk_op>;
struct pending_request {
  time_point deadline;
  pending_op op;
};

std::uint64_t random_salt() {
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) ^ std::uint64_t{rd()};
}

struct router_state {
  router_config cfg;
  router::hybrid_clock hlc{1};
  router::health_board health;
  std::vector<server_id> ids;  // placement input
  std::map<server_id, server_slot> servers;
  std::unordered_map<std::uint64_t, pending_request> pending;
  std::set<std::pair<time_point, std::uint64_t>> deadlines;
  std::optional<time_point> armed;  // due time of the earliest tick in flight
  std::uint64_t next_id = 1;
  router::upload_table uploads{1, duration{1}, 0};  // replaced from cfg when the behaviour starts
  std::optional<time_point> uploads_armed;          // due time of the upload idle tick in flight
  std::size_t opening = 0;                          // WRITE_OPENs in flight: they count against max_uploads
  router_stats stats;
  std::map<server_id, std::uint64_t> ejections;     // per server since start (for the admin view)
  static inline const char* name = "router";
};

using router_actor = caf::stateful_actor<router_state>*;

std::uint64_t wall_ms(router_actor self) {
  if (self->state.cfg.wall_clock_ms) return self->state.cfg.wall_clock_ms();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

void install_servers(router_actor self, std::vector<server_entry> entries) {
  auto& st = self->state;
  std::map<server_id, server_slot> next;
  st.ids.clear();
  for (auto& e : entries) {
    if (next.count(e.id) != 0) continue;  // a duplicate id would be one server twice in placement
    server_slot slot;
    for (auto& c : e.connections)
      if (c) slot.conns.push_back({std::move(c), true});
    if (auto old = st.servers.find(e.id); old != st.servers.end()) {
      slot.next = old->second.next;
      if (e.connections.empty()) slot.conns = std::move(old->second.conns);
    }
    st.ids.push_back(e.id);
    next.emplace(e.id, std::move(slot));
  }
  st.servers = std::move(next);
  st.health.set_servers(st.ids);
}

/// Adds an enrolling connection to its server's slot (once), monitored so that its end removes it.
void enroll(router_actor self, const server_id& server, caf::actor conn, bool connected) {
  auto it = self->state.servers.find(server);
  if (it == self->state.servers.end()) return;
  auto& conns = it->second.conns;
  if (std::any_of(conns.begin(), conns.end(), [&](const connection_slot& c) { return c.handle == conn; })) return;
  self->monitor(conn);
  conns.push_back({std::move(conn), connected});
}

/// Round-robin over the server's connections, skipping those reported down; null when none is up.
caf::actor pick_connection(router_actor self, const server_id& s) {
  auto it = self->state.servers.find(s);
  if (it == self->state.servers.end()) return {};
  auto& slot = it->second;
  const auto n = slot.conns.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto idx = (slot.next + i) % n;
    if (slot.conns[idx].connected) {
      slot.next = idx + 1;
      return slot.conns[idx].handle;
    }
  }
  return {};
}

void record_health(router_actor self, const server_id& s, bool ok, duration took) {
  auto now = self->clock().now();
  auto ev = ok ? self->state.health.record_success(s, router::latency(took), now) : self->state.health.record_error(s, now);
  if (ev == router::health_event::ejected_for_errors || ev == router::health_event::ejected_as_outlier)
    ++self->state.ejections[s];
}

void arm(router_actor self) {
  auto& st = self->state;
  if (st.deadlines.empty()) return;
  const auto first = st.deadlines.begin()->first;
  if (st.armed && *st.armed <= first) return;
  st.armed = first;
  const auto delay = std::max(duration::zero(), first - self->clock().now());
  self->delayed_send(self, delay, deadline_tick_atom::value);
}

std::uint64_t open(router_actor self, time_point deadline, pending_op op) {
  auto& st = self->state;
  const auto id = st.next_id++;
  st.pending.emplace(id, pending_request{deadline, std::move(op)});
  st.deadlines.emplace(deadline, id);
  arm(self);
  return id;
}

void close(router_actor self, std::uint64_t id) {
  auto& st = self->state;
  auto it = st.pending.find(id);
  if (it == st.pending.end()) return;
  if (std::holds_alternative<open_op>(it->second.op)) --st.opening;
  st.deadlines.erase({it->second.deadline, id});
  st.pending.erase(it);
}

template <class Op>
Op* find_op(router_actor self, std::uint64_t id) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end()) return nullptr;
  return std::get_if<Op>(&it->second.op);
}

/// Answers every kind of pending request with one failure (deadline, shutdown).
void fail_pending(pending_request& p, status code, const std::string& why) {
  std::visit(
      [&](auto& op) {
        using T = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<T, read_op>) {
          std::visit([&](auto& rp) { deliver_failure(rp, code, why + join(op.failures)); }, op.rp);
        } else {
          deliver_failure(op.rp, code, why + join(op.failures));
        }
      },
      p.op);
}

/// Releases what a request holds beyond its promise when it ends unanswered by its own logic (deadline,
/// shutdown): a WRITE_OPEN's opened replicas are aborted, and so are its late openers.
void abandon(router_actor self, pending_request& p);

bool answer_at_deadline(router_actor self, std::uint64_t id, read_op& op);

void time_out(router_actor self, std::uint64_t id) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end()) return;
  if (auto* op = std::get_if<read_op>(&it->second.op); op && answer_at_deadline(self, id, *op)) return;
  ++self->state.stats.timeouts;
  abandon(self, it->second);
  fail_pending(it->second, status::timedout, "deadline passed; ");
  close(self, id);
}

/// What a request that need not wait for every replica keeps back from its calls' time, so that when some
/// stay silent it still answers while the client waits (libferry gives up at the deadline): a tenth of the
/// time left, at least the attempt floor, at most 100 ms.
duration calls_reserve(router_actor self, duration left) {
  return std::max<duration>(self->state.cfg.deadlines.attempt_floor,
                            std::min<duration>(left / 10, std::chrono::milliseconds(100)));
}

/// The time each replica call of a write (or chunk) gets: all that is left when every replica must answer;
/// with fewer needed (W < R) the calls end `calls_reserve` early. A straggler's call then ends in time for
/// its effects to end too: a connection whose peer stopped reading closes (rpc_connection), which frees
/// the buffers the call's bytes reference, a client's shared-memory slot among them, before the deadline.
duration write_budget(router_actor self, time_point deadline, std::size_t calls, std::size_t needed) {
  const auto left = deadline - self->clock().now();
  if (calls <= needed) return left;
  const auto reserve = calls_reserve(self, left);
  return left > 2 * reserve ? left - reserve : left;
}

/// Sends one call to one server with `budget` as both the connection's and CAF's timeout; `on_done`
/// gets the reply or the error and the time it took (at once when the server has no live connection).
template <class F>
void attempt(router_actor self, const server_id& s, store_request call, duration budget, F on_done) {
  const auto start = self->clock().now();
  auto conn = pick_connection(self, s);
  if (!conn) {
    on_done(attempt_result{make_error(rpc_errc::unavailable, "no live connection")}, duration::zero());
    return;
  }
  const auto timeout = std::chrono::duration_cast<caf::timespan>(budget);
  self->request(conn, timeout, rpc_call{call.proc, call.args, timeout, call.sink})
      .then([self, start, on_done](rpc_reply& r) mutable { on_done(attempt_result{std::move(r)}, self->clock().now() - start); },
            [self, start, on_done](caf::error& e) mutable { on_done(attempt_result{std::move(e)}, self->clock().now() - start); });
}

/// Checks shared by every routed request; answers and returns false when the request cannot start.
template <class Reply>
bool in_time(router_actor self, caf::typed_response_promise<Reply>& rp, time_point deadline) {
  if (deadline > self->clock().now()) return true;
  ++self->state.stats.timeouts;
  deliver_failure(rp, status::timedout, "deadline passed before the request was routed");
  return false;
}

template <class Reply>
bool admissible(router_actor self, caf::typed_response_promise<Reply>& rp, time_point deadline) {
  auto& st = self->state;
  if (!in_time(self, rp, deadline)) return false;
  if (st.ids.empty()) {
    deliver_failure(rp, status::unavailable, "no data servers configured");
    return false;
  }
  return true;
}

// ---- writes ----

void on_write_outcome(router_actor self, std::uint64_t id, const server_id& s, attempt_result& res, duration took) {
  auto& st = self->state;
  router::replica_outcome outcome;
  std::optional<attempt_failure> failure;
  if (auto* reply = std::get_if<rpc_reply>(&res)) {
    auto w = xdr::decode<proto::write_res>(reply->results());
    if (!w) {
      failure = attempt_failure{status::io_error, "undecodable reply"};
    } else if (w->code == status::ok) {
      outcome = router::replica_ok{w->ver};
    } else if (w->code == status::conflict) {
      st.hlc.observe(w->ver.hlc, wall_ms(self));
      outcome = router::replica_conflict{w->ver};
    } else {
      failure = describe(w->code, w->detail);
    }
  } else {
    failure = describe(std::get<caf::error>(res));
  }
  record_health(self, s, !failure, took);
  if (failure) outcome = router::replica_failure{failure->code};
  auto* op = find_op<write_op>(self, id);
  if (!op) {
    ++st.stats.dropped_replies;
    return;
  }
  if (failure) op->failures.push_back(s + ": " + failure->what);
  auto decision = op->tally.record(outcome);
  if (!decision) return;
  write_reply out;
  using kind = router::write_decision::kind;
  switch (decision->what) {
    case kind::ok: out = {status::ok, decision->winner, {}}; break;
    case kind::conflict: out = {status::conflict, decision->winner, {}}; break;
    case kind::unavailable:
    case kind::pending: {
      auto at = st.pending.find(id)->second.deadline;
      auto why = std::to_string(op->failures.size()) + " of " + std::to_string(op->replicas) +
                 " replicas failed, write quorum " + std::to_string(op->write_quorum) + " unreachable: ";
      // A replica's call that timed out decided it: TIMEDOUT, even when the call ended a little before the
      // deadline (write_budget).
      if (self->clock().now() >= at || (failure && failure->code == status::timedout)) {
        ++st.stats.timeouts;
        out = failed<write_reply>(status::timedout, "deadline passed; " + why + join(op->failures));
      } else {
        out = failed<write_reply>(status::unavailable, why + join(op->failures));
      }
      break;
    }
  }
  op->rp.deliver(std::move(out));
  close(self, id);
}

/// The key's replicas for a write, or empty (answered UNAVAILABLE) when they cannot make a write quorum.
template <class Reply>
std::optional<std::vector<server_id>> write_replicas(router_actor self, caf::typed_response_promise<Reply>& rp,
                                                     xdr::bytes_view key) {
  auto& st = self->state;
  auto reps = router::replicas(key, st.ids, st.cfg.quorum.replicas);
  const auto w = st.cfg.quorum.write_quorum;
  if (reps.size() >= w) return reps;
  deliver_failure(rp, status::unavailable,
                  "only " + std::to_string(reps.size()) + " data servers for a write quorum of " + std::to_string(w));
  return std::nullopt;
}

using replica_calls = std::vector<std::pair<server_id, store_request>>;

/// Sends each replica its call in parallel, every one with the whole time left, and tallies the
/// write_res answers of version `ver` (at least W calls).
void launch_write(router_actor self, caf::typed_response_promise<write_reply>& rp, time_point deadline,
                  proto::version ver, const replica_calls& calls) {
  const auto w = self->state.cfg.quorum.write_quorum;
  const auto id = open(self, deadline, write_op{rp, router::write_quorum({calls.size(), w}, ver), calls.size(), w, {}});
  const auto budget = write_budget(self, deadline, calls.size(), w);
  for (const auto& c : calls) {
    const auto s = c.first;
    attempt(self, s, c.second, budget,
            [self, id, s](attempt_result res, duration took) { on_write_outcome(self, id, s, res, took); });
  }
}

template <class MakeCall>
void start_write(router_actor self, caf::typed_response_promise<write_reply>& rp, xdr::bytes_view key,
                 time_point deadline, MakeCall make_call) {
  auto& st = self->state;
  if (!admissible(self, rp, deadline)) return;
  auto reps = write_replicas(self, rp, key);
  if (!reps) return;
  const auto ver = st.hlc.tick(wall_ms(self));
  store_request call = make_call(ver);
  if (!call.args) {
    deliver_failure(rp, status::bad_request, "arguments exceed their XDR bounds");
    return;
  }
  replica_calls calls;
  for (const auto& s : *reps) calls.emplace_back(s, call);
  launch_write(self, rp, deadline, ver, calls);
}

// ---- reads (GET, STAT, READ) ----
// A read asks R − W + 1 replicas (router::read_quorum): the first in health order with the client's own
// procedure (a fetch), the others with a STAT (a probe: the version without the value). It answers from
// the newest version seen, fetching it once more from the replica that holds it when the answer in hand
// is older, and repairs replicas that answered an older version (ROUTER.md "Reads").

// `in_sink`: the bytes of the value / chunk the reply put into the request's sink (rpc_reply::diverted).
get_reply make_read_reply(const proto::get_res& r, const shared_bytes& owner, std::uint32_t in_sink) {
  return {r.code, r.found, r.tombstone, std::string{r.detail}, owner, in_sink};
}
stat_reply make_read_reply(const proto::stat_res& r, const shared_bytes&, std::uint32_t) {
  return {r.code, r.info, r.tombstone, std::string{r.detail}};
}
read_reply make_read_reply(const proto::read_res& r, const shared_bytes& owner, std::uint32_t in_sink) {
  return {r.code, r.data, std::string{r.detail}, owner, in_sink};
}
/// A replica's version of the key as an answer shows it. A READ's NOT_FOUND or BAD_RANGE carries none:
/// it counts as the zero version, so any replica known to hold a value outranks it.
router::replica_view view_of(const server_id& s, const proto::get_res& r) {
  return r.code == status::ok ? router::replica_view{s, r.found.info.ver, true} : router::replica_view{s, r.tombstone, false};
}
router::replica_view view_of(const server_id& s, const proto::stat_res& r) {
  return r.code == status::ok ? router::replica_view{s, r.info.ver, true} : router::replica_view{s, r.tombstone, false};
}
router::replica_view view_of(const server_id& s, const proto::read_res& r) {
  return r.code == status::ok ? router::replica_view{s, r.data.info.ver, true} : router::replica_view{s, {}, false};
}

/// Statuses a replica answers the same way as any other would, whatever version it holds: final at once.
bool is_final(status code) { return code == status::bad_key || code == status::too_big || code == status::bad_request; }
/// Statuses that say which version a replica holds.
template <class Res>
bool has_view(const Res& r) {
  return r.code == status::ok || r.code == status::not_found ||
         (std::is_same_v<Res, proto::read_res> && r.code == status::bad_range);
}

/// NOT_FOUND for a key whose newest version is the tombstone `ver` (zero: no replica has it).
read_answer deleted_answer(std::size_t kind, proto::version ver) {
  switch (kind) {
    case 0: return get_reply{status::not_found, {}, ver, {}, nullptr};
    case 1: return stat_reply{status::not_found, {}, ver, {}};
    default: return read_reply{status::not_found, {}, {}, nullptr};
  }
}

void deliver(read_op& op, read_answer&& answer) {
  std::visit(
      [&](auto&& a) {
        using reply_t = std::decay_t<decltype(a)>;
        std::get<caf::typed_response_promise<reply_t>>(op.rp).deliver(std::move(a));
      },
      std::move(answer));
}

/// Brings the replicas that answered an older version up to the one answered: a tombstone goes out as
/// a DELETE, a live value as a PUT when the answer holds the whole value (GET). Background calls: the
/// client has its answer, and a store keeps the highest version whatever order writes arrive in.
void repair(router_actor self, const read_op& op, const router::replica_view& target, const read_answer& answer) {
  auto stale = router::stale_replicas(op.views, target);
  if (stale.empty()) return;
  store_request call;
  if (!target.live) {
    call = make_store_request(ps::proc::del, ps::delete_args{op.key, target.ver}, {op.key_owner});
  } else if (const auto* got = std::get_if<get_reply>(&answer); got && got->code == status::ok && got->found.info.ver == target.ver) {
    // A value received into a client's shared memory is not ferryd's to copy back out: the client may
    // write there at any time, and a repair from it would spread what it wrote to every replica. A later
    // GET over the socket repairs, as after a STAT or a READ.
    if (got->in_sink != 0) return;
    call = make_store_request(ps::proc::put, ps::put_args{op.key, got->found.data, target.ver}, {op.key_owner, got->owner});
  } else {
    return;  // STAT and READ hold no whole value: a later GET repairs
  }
  if (!call.args) return;
  for (const auto& s : stale) {
    ++self->state.stats.read_repairs;
    attempt(self, s, call, self->state.cfg.read_repair_timeout, [self, s](attempt_result res, duration took) {
      bool ok = false;
      if (auto* reply = std::get_if<rpc_reply>(&res))
        if (auto w = xdr::decode<proto::write_res>(reply->results()))
          ok = w->code == status::ok || w->code == status::conflict;
      record_health(self, s, ok, took);
    });
  }
}

void advance_read(router_actor self, std::uint64_t id);

/// One replica's outcome for a fetch (`fetch`) or a probe. Every outcome ends in advance_read.
template <class Res>
void on_read_outcome(router_actor self, std::uint64_t id, const server_id& s, bool fetch, attempt_result& res,
                     duration took) {
  auto& st = self->state;
  std::optional<attempt_failure> failure;
  std::optional<router::replica_view> view;
  std::optional<read_answer> answer;
  if (auto* reply = std::get_if<rpc_reply>(&res)) {
    auto r = xdr::decode<Res>(reply->results());
    if (!r) {
      failure = attempt_failure{status::io_error, "undecodable reply"};
    } else if (has_view(*r) || is_final(r->code)) {
      view = view_of(s, *r);
      if (view->ver.hlc != 0) st.hlc.observe(view->ver.hlc, wall_ms(self));
      if (fetch) answer = make_read_reply(*r, reply->record, reply->diverted);
    } else {
      failure = describe(r->code, r->detail);
    }
  } else {
    failure = describe(std::get<caf::error>(res));
  }
  record_health(self, s, !failure, took);
  auto* op = find_op<read_op>(self, id);
  if (!op) {
    ++st.stats.dropped_replies;
    return;
  }
  --op->in_flight;
  if (fetch) --op->fetches_out;
  if (failure) {
    op->failures.push_back(s + ": " + failure->what);
  } else if (answer && is_final(std::visit([](const auto& a) { return a.code; }, *answer))) {
    deliver(*op, std::move(*answer));  // any replica would say the same
    close(self, id);
    return;
  } else {
    // A refetch replaces the replica's probe view: its own answer is what it holds now.
    auto same = std::find_if(op->views.begin(), op->views.end(), [&](const auto& v) { return v.server == s; });
    if (same != op->views.end())
      *same = *view;
    else
      op->views.push_back(*view);
    if (answer && (!op->held || op->held->view.ver < view->ver)) op->held = held_read{*view, std::move(*answer)};
  }
  advance_read(self, id);
}

/// Sends one fetch or probe to the next replica in order, with an equal share of the time left over
/// the sequential rounds the read may still need. False when too little time is left to start one.
bool launch_read(router_actor self, std::uint64_t id, read_op& op, time_point deadline, std::size_t rounds,
                 std::optional<server_id> to = std::nullopt) {
  auto budget = router::attempt_budget(self->state.cfg.deadlines, deadline, self->clock().now(), rounds);
  if (!budget) return false;
  const auto kind = op.rp.index();
  const bool fetch = to.has_value() || kind == 1 || (!op.held && op.fetches_out == 0);
  const auto s = to ? *to : op.order[op.next++];
  ++op.in_flight;
  if (fetch) {
    ++op.fetches_out;
    op.fetched_from.push_back(s);
  }
  auto done = [self, id, s, fetch, kind](attempt_result res, duration took) {
    if (!fetch || kind == 1) return on_read_outcome<proto::stat_res>(self, id, s, fetch, res, took);
    if (kind == 0) return on_read_outcome<proto::get_res>(self, id, s, fetch, res, took);
    on_read_outcome<proto::read_res>(self, id, s, fetch, res, took);
  };
  attempt(self, s, fetch ? op.call : op.probe, *budget, std::move(done));  // may answer at once: op may be gone
  return true;
}

/// Answers a read from the newest version it saw (`target`), repairing the replicas behind it.
void finish_read(router_actor self, std::uint64_t id, read_op& op, router::replica_view target) {
  if (op.views.size() < op.wanted) ++self->state.stats.degraded_reads;
  auto answer = op.held && !router::behind(op.held->view.ver, target.ver) ? std::move(op.held->answer)
                                                             : deleted_answer(op.rp.index(), target.ver);
  repair(self, op, target, answer);
  deliver(op, std::move(answer));
  close(self, id);
}

router::read_progress progress_of(const read_op& op) {
  router::read_progress p{op.views.size(), op.quorum, op.in_flight, op.order.size() - op.next, op.fetches_out > 0,
                          op.held ? std::optional{op.held->view.ver} : std::nullopt, router::newest(op.views)};
  p.newest_fetched = p.newest && std::find(op.fetched_from.begin(), op.fetched_from.end(), p.newest->server) !=
                                     op.fetched_from.end();
  return p;
}

/// At its deadline a read that holds an answer (or saw the key's newest version deleted) gives it as a
/// degraded read, rather than TIMEDOUT, while replicas it waited for stay silent. False when it cannot
/// (nothing in hand, or a newer value seen but not fetched).
bool answer_at_deadline(router_actor self, std::uint64_t id, read_op& op) {
  auto p = progress_of(op);
  p.in_flight = p.untried = 0;  // nothing more will come in time
  p.fetching = false;
  const auto step = router::next_read_step(p);
  if (step != router::read_step::answer_held && step != router::read_step::answer_deleted) return false;
  finish_read(self, id, op, *p.newest);  // takes a copy: it ends the op the view lives in
  return true;
}

/// No time is left to start the call the read needs next: answer with what is in hand if that is an
/// answer, TIMEDOUT otherwise (unless calls are still out: their outcomes decide, by calls_end).
void out_of_time(router_actor self, std::uint64_t id, read_op& op, const char* why) {
  if (op.in_flight > 0 || answer_at_deadline(self, id, op)) return;
  ++self->state.stats.timeouts;
  fail_pending(self->state.pending.find(id)->second, status::timedout, why);
  close(self, id);
}

void advance_read(router_actor self, std::uint64_t id) {
  auto& st = self->state;
  for (;;) {
    auto* op = find_op<read_op>(self, id);
    if (!op) return;
    const auto deadline = op->calls_end;
    const auto p = progress_of(*op);
    const auto step = router::next_read_step(p);
    switch (step) {
      case router::read_step::wait:
        return;
      case router::read_step::ask_more: {
        const auto need = p.quorum - p.views - p.in_flight;  // >= 1 here
        const auto rounds = p.untried > need - 1 ? p.untried - (need - 1) : std::size_t{1};
        if (!launch_read(self, id, *op, deadline, rounds)) return out_of_time(self, id, *op, "deadline passed; ");
        continue;  // the attempt may have failed at once (no live connection): decide again
      }
      case router::read_step::fetch_newest: {
        ++st.stats.newer_refetches;
        // Once the quorum is in, the fetch has the time left; while it is still gathered, half of it.
        const bool decided = p.views >= p.quorum || (p.untried == 0 && p.in_flight == 0);
        if (!launch_read(self, id, *op, deadline, decided ? 1 : 2, p.newest->server))
          return out_of_time(self, id, *op, "deadline passed before fetching the newest copy; ");
        continue;
      }
      case router::read_step::newest_unreachable:
        fail_pending(st.pending.find(id)->second, status::unavailable,
                     "the replica holding the newest version did not answer: ");
        close(self, id);
        return;
      case router::read_step::answer_held:
      case router::read_step::answer_deleted:
        return finish_read(self, id, *op, *p.newest);
      case router::read_step::fail: {
        const bool out_of_time = self->clock().now() >= op->calls_end;
        if (out_of_time) ++st.stats.timeouts;
        fail_pending(st.pending.find(id)->second, out_of_time ? status::timedout : status::unavailable,
                     out_of_time ? "deadline passed; " : "no replica answered: ");
        close(self, id);
        return;
      }
    }
  }
}

/// Replicas in health order: ejected ones come last (read only when every other replica failed; an
/// ejected outlier may be the only live copy), and so do servers with no live connection.
std::vector<server_id> read_order(router_actor self, xdr::bytes_view key) {
  auto& st = self->state;
  auto order = st.health.read_order(router::replicas(key, st.ids, st.cfg.quorum.replicas), self->clock().now());
  std::stable_partition(order.begin(), order.end(), [&](const server_id& s) {
    auto it = st.servers.find(s);
    return it != st.servers.end() && it->second.any_connected();
  });
  return order;
}

template <class Reply>
void start_read(router_actor self, caf::typed_response_promise<Reply>& rp, xdr::bytes_view key,
                const shared_bytes& owner, time_point deadline, store_request call) {
  if (!admissible(self, rp, deadline)) return;
  auto probe = make_store_request(ps::proc::stat, ps::key_args{key}, {owner});
  if (!call.args || !probe.args) {
    deliver_failure(rp, status::bad_request, "arguments exceed their XDR bounds");
    return;
  }
  auto& st = self->state;
  read_op op{.rp = rp, .call = std::move(call), .probe = std::move(probe), .key = key, .key_owner = owner,
             .order = read_order(self, key)};
  // A replica known to be out (ejected, or no live connection) is still asked when the others fail, but
  // the read does not wait for it: a quorum it cannot reach would cost every read its whole deadline.
  const auto now = self->clock().now();
  const auto available = static_cast<std::size_t>(std::count_if(op.order.begin(), op.order.end(), [&](const server_id& s) {
    auto it = st.servers.find(s);
    return it != st.servers.end() && it->second.any_connected() && !st.health.is_ejected(s, now);
  }));
  op.wanted = std::min(router::read_quorum({st.cfg.quorum.replicas, st.cfg.quorum.write_quorum}),
                       std::max<std::size_t>(op.order.size(), 1));
  op.quorum = std::clamp<std::size_t>(available, 1, op.wanted);
  // A read waiting for several replicas ends its calls a little before the client's deadline, so that
  // when the others stay silent it answers with what it holds while the client still waits.
  op.calls_end = op.quorum > 1 ? deadline - calls_reserve(self, deadline - now) : deadline;
  const auto id = open(self, deadline, std::move(op));
  advance_read(self, id);
}

// ---- LIST ----

void finish_list(router_actor self, std::uint64_t id) {
  auto* op = find_op<list_op>(self, id);
  const auto deadline = self->state.pending.find(id)->second.deadline;
  if (op->failures.size() > op->tolerable) {
    const bool late = self->clock().now() >= deadline;
    if (late) ++self->state.stats.timeouts;
    deliver_failure(op->rp, late ? status::timedout : status::unavailable,
                    std::to_string(op->failures.size()) + " of " + std::to_string(op->servers) +
                        " servers failed, some keys may have no answering replica: " + join(op->failures));
  } else {
    auto merged = router::merge_list_pages(op->pages, op->limit);
    op->rp.deliver(list_reply{status::ok, std::move(merged.entries), merged.more, {}, std::move(op->owners)});
  }
  close(self, id);
}

void on_list_outcome(router_actor self, std::uint64_t id, const server_id& s, attempt_result& res, duration took) {
  std::optional<attempt_failure> failure;
  std::optional<proto::list_page> page;
  shared_bytes owner;
  if (auto* reply = std::get_if<rpc_reply>(&res)) {
    auto r = xdr::decode<proto::list_res>(reply->results());
    if (!r)
      failure = attempt_failure{status::io_error, "undecodable reply"};
    else if (r->code != status::ok)
      failure = describe(r->code, r->detail);
    else {
      page = std::move(r->page);
      owner = reply->record;
    }
  } else {
    failure = describe(std::get<caf::error>(res));
  }
  record_health(self, s, !failure, took);
  auto* op = find_op<list_op>(self, id);
  if (!op) {
    ++self->state.stats.dropped_replies;
    return;
  }
  --op->outstanding;
  if (failure) {
    op->failures.push_back(s + ": " + failure->what);
  } else {
    op->pages.push_back(std::move(*page));
    op->owners.push_back(std::move(owner));
  }
  if (op->outstanding == 0 || op->failures.size() > op->tolerable) finish_list(self, id);
}

void start_list(router_actor self, caf::typed_response_promise<list_reply>& rp, list_request& r) {
  auto& st = self->state;
  if (!admissible(self, rp, r.deadline)) return;
  std::uint32_t limit = r.args.limit == 0 ? st.cfg.default_list_limit : r.args.limit;
  limit = std::min(limit, proto::max_list);
  store_request call = make_store_request(ps::proc::list, ps::list_args{r.args.prefix, r.args.cursor, limit}, {r.owner});
  if (!call.args) {
    deliver_failure(rp, status::bad_request, "arguments exceed their XDR bounds");
    return;
  }
  // Half the time left per server: one silent server (tolerated when R > 1) must not use up the deadline.
  auto budget = router::attempt_budget(st.cfg.deadlines, r.deadline, self->clock().now(), 2);
  if (!budget) {
    ++st.stats.timeouts;
    deliver_failure(rp, status::timedout, "too little time left to ask the servers");
    return;
  }
  const auto n = st.ids.size();
  const auto covered = std::min<std::size_t>(st.cfg.quorum.replicas, n);
  list_op op{rp, limit, n, n, covered - 1, {}, {}, {}};
  const auto id = open(self, r.deadline, std::move(op));
  const auto ids = st.ids;  // a synchronous failure cannot change it, but keep the loop independent
  for (const auto& s : ids)
    attempt(self, s, call, *budget,
            [self, id, s](attempt_result res, duration took) { on_list_outcome(self, id, s, res, took); });
}

// ---- chunked transfers (WRITE_OPEN / CHUNK / COMMIT / ABORT; READ is a read above) ----

/// TIMEDOUT (counted) when a request fails at or past its deadline, UNAVAILABLE before it.
status failure_status(router_actor self, time_point deadline, bool timed_out = false) {
  if (!timed_out && self->clock().now() < deadline) return status::unavailable;
  ++self->state.stats.timeouts;
  return status::timedout;
}

/// Best effort, answered by nobody: one replica drops its store upload (if the call is lost, the store's
/// own idle timeout frees it).
void abort_store_upload(router_actor self, const router::upload_replica& r) {
  auto call = make_store_request(ps::proc::write_abort, ps::write_abort_args{r.store_upload});
  attempt(self, r.server, std::move(call), self->state.cfg.deadlines.small_op, [](attempt_result, duration) {});
}

void arm_uploads(router_actor self) {
  auto& st = self->state;
  const auto first = st.uploads.next_expiry();
  if (!first || (st.uploads_armed && *st.uploads_armed <= *first)) return;
  st.uploads_armed = *first;
  self->delayed_send(self, std::max(duration::zero(), *first - self->clock().now()), upload_tick_atom::value);
}

/// Fewer than W replicas remain: the upload can never commit. Its replicas are aborted; the entry stays
/// (failed) so that CHUNK and COMMIT answer UNAVAILABLE until it is committed, aborted or expires.
void fail_upload(router_actor self, router::upload& u, std::string why) {
  u.failed = true;
  u.failure = std::move(why);
  for (const auto& r : u.replicas) abort_store_upload(self, r);
  u.replicas.clear();
}

/// A replica that failed a chunk leaves the upload (its store upload aborted).
void drop_replica(router_actor self, std::uint64_t upload_id, const router::upload_replica& r, const std::string& what) {
  auto* u = self->state.uploads.find(upload_id);
  if (!u || u->failed) return;
  auto it = std::find(u->replicas.begin(), u->replicas.end(), r);
  if (it == u->replicas.end()) return;
  u->replicas.erase(it);
  abort_store_upload(self, r);
  const auto w = self->state.cfg.quorum.write_quorum;
  if (u->replicas.size() < w)
    fail_upload(self, *u,
                std::to_string(u->replicas.size()) + " replicas left for a write quorum of " + std::to_string(w) +
                    " after " + what);
}

/// A replica whose WRITE_OPEN succeeded after the open was decided joins the upload while it still
/// exists and has sent no chunk (otherwise it missed data and could never commit): else it is aborted.
void adopt_late_opener(router_actor self, const open_round& round, const router::upload_replica& r) {
  auto* u = round.upload != 0 ? self->state.uploads.find(round.upload) : nullptr;
  if (u && !u->failed && !u->chunks_sent)
    u->replicas.push_back(r);
  else
    abort_store_upload(self, r);
}

void abandon(router_actor self, pending_request& p) {
  if (auto* op = std::get_if<open_op>(&p.op)) {
    op->round->upload = 0;  // late openers are aborted
    for (const auto& r : op->opened) abort_store_upload(self, r);
    op->opened.clear();
  }
}

void on_open_outcome(router_actor self, std::uint64_t id, const server_id& s, const std::shared_ptr<open_round>& round,
                     attempt_result& res, duration took) {
  auto& st = self->state;
  std::optional<attempt_failure> failure;
  proto::upload up;
  if (auto* reply = std::get_if<rpc_reply>(&res)) {
    auto o = xdr::decode<proto::write_open_res>(reply->results());
    if (!o)
      failure = attempt_failure{status::io_error, "undecodable reply"};
    else if (o->code != status::ok)
      failure = describe(o->code, o->detail);
    else
      up = o->up;
  } else {
    failure = describe(std::get<caf::error>(res));
  }
  record_health(self, s, !failure, took);
  const router::upload_replica opened{s, up.upload_id};
  auto* op = find_op<open_op>(self, id);
  if (!op) {
    ++st.stats.dropped_replies;
    if (!failure) adopt_late_opener(self, *round, opened);
    return;
  }
  if (failure) {
    op->failures.push_back(s + ": " + failure->what);
  } else {
    op->chunk_size = op->opened.empty() ? up.chunk_size : std::min(op->chunk_size, up.chunk_size);
    op->opened.push_back(opened);
  }
  if (op->opened.size() >= op->write_quorum) {
    router::upload u;
    u.key = op->key;
    u.ver = op->ver;
    u.replicas = std::move(op->opened);
    const auto upload_id = st.uploads.create(std::move(u), self->clock().now());
    round->upload = upload_id;
    op->rp.deliver(write_open_reply{status::ok, {upload_id, op->chunk_size}, {}});
    close(self, id);
    arm_uploads(self);
    return;
  }
  if (op->failures.size() > op->replicas - op->write_quorum) {
    const auto code = failure_status(self, st.pending.find(id)->second.deadline);
    deliver_failure(op->rp, code,
                    std::to_string(op->failures.size()) + " of " + std::to_string(op->replicas) +
                        " replicas failed to open, write quorum " + std::to_string(op->write_quorum) +
                        " unreachable: " + join(op->failures));
    abandon(self, st.pending.find(id)->second);
    close(self, id);
  }
}

void start_open(router_actor self, caf::typed_response_promise<write_open_reply>& rp, write_open_request& r) {
  auto& st = self->state;
  if (!admissible(self, rp, r.deadline)) return;
  if (st.uploads.full(st.opening)) {
    deliver_failure(rp, status::overloaded,
                    std::to_string(st.uploads.capacity()) + " uploads are open or opening, the most ferryd allows");
    return;
  }
  auto reps = write_replicas(self, rp, r.args.key);
  if (!reps) return;
  const auto ver = st.hlc.tick(wall_ms(self));
  auto call = make_store_request(ps::proc::write_open, ps::write_open_args{r.args.key, ver, r.args.size_hint}, {r.owner});
  if (!call.args) {
    deliver_failure(rp, status::bad_request, "arguments exceed their XDR bounds");
    return;
  }
  auto round = std::make_shared<open_round>();
  const auto w = st.cfg.quorum.write_quorum;
  ++st.opening;
  const auto id = open(self, r.deadline,
                       open_op{rp, round, std::string{xdr::as_chars(r.args.key)}, ver, reps->size(), w, {}, 0, {}});
  const auto budget = r.deadline - self->clock().now();
  for (const auto& s : *reps)
    attempt(self, s, call, budget, [self, id, s, round](attempt_result res, duration took) {
      on_open_outcome(self, id, s, round, res, took);
    });
}

std::string no_upload_detail(std::uint64_t upload_id) {
  return "no open upload has id " + std::to_string(upload_id) + " (ferryd)";
}

void on_chunk_outcome(router_actor self, std::uint64_t id, std::uint64_t upload_id, const router::upload_replica& r,
                      attempt_result& res, duration took) {
  auto& st = self->state;
  std::optional<attempt_failure> failure;
  if (auto* reply = std::get_if<rpc_reply>(&res)) {
    auto c = xdr::decode<proto::reply>(reply->results());
    if (!c)
      failure = attempt_failure{status::io_error, "undecodable reply"};
    else if (c->code != status::ok)
      failure = describe(c->code, c->detail);
  } else {
    failure = describe(std::get<caf::error>(res));
  }
  record_health(self, r.server, !failure, took);
  const auto* u = st.uploads.find(upload_id);
  const bool member = u && std::find(u->replicas.begin(), u->replicas.end(), r) != u->replicas.end();
  if (failure && member) drop_replica(self, upload_id, r, r.server + ": " + failure->what);
  auto* op = find_op<chunk_op>(self, id);
  if (!op) {
    ++st.stats.dropped_replies;
    return;
  }
  if (!failure && member)
    ++op->acks;
  else
    op->failures.push_back(r.server + ": " + (failure ? failure->what : std::string{"no longer in the upload"}));
  const auto w = st.cfg.quorum.write_quorum;
  u = st.uploads.find(upload_id);
  if (op->acks >= w) {
    st.uploads.touch(upload_id, self->clock().now());
    op->rp.deliver(status_reply{status::ok, {}});
  } else if (!u) {
    deliver_failure(op->rp, status::no_upload, "the upload ended while the chunk was in flight; " + join(op->failures));
  } else if (u->failed || op->sent - op->failures.size() < w) {
    const auto code = failure_status(self, st.pending.find(id)->second.deadline,
                                     failure && failure->code == status::timedout);
    deliver_failure(op->rp, code, "upload failed: " + (u->failed ? u->failure : join(op->failures)));
  } else {
    return;
  }
  close(self, id);
}

void start_chunk(router_actor self, caf::typed_response_promise<status_reply>& rp, write_chunk_request& r) {
  auto& st = self->state;
  if (!in_time(self, rp, r.deadline)) return;
  const auto upload_id = r.args.upload_id;
  auto* u = st.uploads.find(upload_id);
  if (!u) {
    deliver_failure(rp, status::no_upload, no_upload_detail(upload_id));
    return;
  }
  if (u->failed) {
    deliver_failure(rp, status::unavailable, "upload failed: " + u->failure);
    return;
  }
  // One encoding per replica (each has its own store upload id); the data is referenced, not copied.
  std::vector<std::pair<router::upload_replica, store_request>> calls;
  for (const auto& rep : u->replicas) {
    auto call = make_store_request(ps::proc::write_chunk, ps::write_chunk_args{rep.store_upload, r.args.offset, r.args.data},
                                   {r.owner});
    if (!call.args) {
      deliver_failure(rp, status::bad_request, "arguments exceed their XDR bounds");
      return;
    }
    calls.emplace_back(rep, std::move(call));
  }
  u->chunks_sent = true;
  st.uploads.touch(upload_id, self->clock().now());
  const auto id = open(self, r.deadline, chunk_op{rp, upload_id, calls.size(), 0, {}});
  const auto budget = write_budget(self, r.deadline, calls.size(), st.cfg.quorum.write_quorum);
  for (auto& c : calls) {
    const auto rep = c.first;
    attempt(self, rep.server, std::move(c.second), budget, [self, id, upload_id, rep](attempt_result res, duration took) {
      on_chunk_outcome(self, id, upload_id, rep, res, took);
    });
  }
}

void start_commit(router_actor self, caf::typed_response_promise<write_reply>& rp, write_commit_request& r) {
  auto& st = self->state;
  if (!in_time(self, rp, r.deadline)) return;
  auto u = st.uploads.remove(r.args.upload_id);  // whatever the outcome, the upload ends here
  if (!u) {
    deliver_failure(rp, status::no_upload, no_upload_detail(r.args.upload_id));
    return;
  }
  const auto w = st.cfg.quorum.write_quorum;
  if (u->failed || u->replicas.size() < w) {
    for (const auto& rep : u->replicas) abort_store_upload(self, rep);
    deliver_failure(rp, status::unavailable, "upload failed: " + u->failure);
    return;
  }
  replica_calls calls;
  for (const auto& rep : u->replicas)
    calls.emplace_back(rep.server, make_store_request(ps::proc::write_commit, ps::write_commit_args{rep.store_upload, r.args.size}));
  launch_write(self, rp, r.deadline, u->ver, calls);
}

status_reply abort_upload(router_actor self, std::uint64_t upload_id) {
  auto u = self->state.uploads.remove(upload_id);
  if (!u) return failed<status_reply>(status::no_upload, no_upload_detail(upload_id));
  for (const auto& rep : u->replicas) abort_store_upload(self, rep);
  return {};
}

caf::behavior router_behavior(router_actor self, router_config cfg) {
  auto& st = self->state;
  st.hlc = router::hybrid_clock{cfg.writer};
  st.health = router::health_board{cfg.health};
  st.uploads = router::upload_table{cfg.max_uploads, cfg.upload_idle_timeout, random_salt()};
  auto servers = std::move(cfg.servers);
  st.cfg = std::move(cfg);
  install_servers(self, std::move(servers));
  self->set_down_handler([self](caf::down_msg& msg) {  // an enrolled connection ended
    for (auto& [id, slot] : self->state.servers)
      std::erase_if(slot.conns, [&](const connection_slot& c) { return c.handle.address() == msg.source; });
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (msg.reason == caf::exit_reason::normal) return;  // a linked peer that simply finished
    auto& s = self->state;
    for (auto& [id, p] : s.pending) {
      abandon(self, p);
      fail_pending(p, status::shutting_down, "router stopping; ");
    }
    for (const auto& [id, u] : s.uploads.expire(router::time_point::max()))  // best effort, as on expiry
      for (const auto& r : u.replicas) abort_store_upload(self, r);
    s.pending.clear();
    s.deadlines.clear();
    self->quit(msg.reason);
  });
  return {
      [self](put_request& r) {
        auto rp = self->make_response_promise<write_reply>();
        ++self->state.stats.requests;
        if (r.args.flags & proto::client::put_if_absent) {
          deliver_failure(rp, status::bad_request, "PUT_IF_ABSENT is not supported by the router yet");
          return rp;
        }
        start_write(self, rp, r.args.key, r.deadline, [&](proto::version v) {
          return make_store_request(ps::proc::put, ps::put_args{r.args.key, r.args.value, v}, {r.owner});
        });
        return rp;
      },
      [self](delete_request& r) {
        auto rp = self->make_response_promise<write_reply>();
        ++self->state.stats.requests;
        start_write(self, rp, r.args.key, r.deadline, [&](proto::version v) {
          return make_store_request(ps::proc::del, ps::delete_args{r.args.key, v}, {r.owner});
        });
        return rp;
      },
      [self](get_request& r) {
        auto rp = self->make_response_promise<get_reply>();
        ++self->state.stats.requests;
        auto call = make_store_request(ps::proc::get, ps::key_args{r.args.key}, {r.owner});
        call.sink = std::move(r.sink);
        start_read(self, rp, r.args.key, r.owner, r.deadline, std::move(call));
        return rp;
      },
      [self](stat_request& r) {
        auto rp = self->make_response_promise<stat_reply>();
        ++self->state.stats.requests;
        start_read(self, rp, r.args.key, r.owner, r.deadline, make_store_request(ps::proc::stat, ps::key_args{r.args.key}, {r.owner}));
        return rp;
      },
      [self](list_request& r) {
        auto rp = self->make_response_promise<list_reply>();
        ++self->state.stats.requests;
        start_list(self, rp, r);
        return rp;
      },
      [self](write_open_request& r) {
        auto rp = self->make_response_promise<write_open_reply>();
        ++self->state.stats.requests;
        start_open(self, rp, r);
        return rp;
      },
      [self](write_chunk_request& r) {
        auto rp = self->make_response_promise<status_reply>();
        ++self->state.stats.requests;
        start_chunk(self, rp, r);
        return rp;
      },
      [self](write_commit_request& r) {
        auto rp = self->make_response_promise<write_reply>();
        ++self->state.stats.requests;
        start_commit(self, rp, r);
        return rp;
      },
      [self](write_abort_request& r) {
        ++self->state.stats.requests;
        return abort_upload(self, r.args.upload_id);  // answered at once: the stores' aborts are best effort
      },
      [self](read_request& r) {
        auto rp = self->make_response_promise<read_reply>();
        ++self->state.stats.requests;
        const auto& a = r.args;
        auto call = make_store_request(ps::proc::read, ps::read_args{a.key, a.offset, a.length}, {r.owner});
        call.sink = std::move(r.sink);
        start_read(self, rp, a.key, r.owner, r.deadline, std::move(call));
        return rp;
      },
      [self](deadline_tick_atom) {
        auto& s = self->state;
        s.armed.reset();
        const auto now = self->clock().now();
        while (!s.deadlines.empty() && s.deadlines.begin()->first <= now) {
          const auto id = s.deadlines.begin()->second;
          if (s.pending.count(id) == 0) {
            s.deadlines.erase(s.deadlines.begin());  // cannot happen: close() erases both
            continue;
          }
          time_out(self, id);
        }
        arm(self);
      },
      [self](upload_tick_atom) {
        auto& s = self->state;
        s.uploads_armed.reset();
        for (const auto& [id, u] : s.uploads.expire(self->clock().now()))
          for (const auto& r : u.replicas) abort_store_upload(self, r);
        arm_uploads(self);  // only while uploads remain: an idle router arms nothing
      },
      [self](set_servers& msg) { install_servers(self, std::move(msg.servers)); },
      [self](enroll_connection& msg) {
        // Down until its first connection_state_changed, which may also have come first (two senders).
        if (msg.connection) enroll(self, msg.server, std::move(msg.connection), false);
      },
      [self](connection_state_changed& ev) {
        bool known = false;
        for (auto& [id, slot] : self->state.servers)
          for (auto& c : slot.conns)
            if (c.handle.address() == ev.source) {
              c.connected = ev.connected;
              known = true;
            }
        if (!known && ev.connected)  // an enrolling connection's first event, ahead of its enrollment
          if (auto conn = caf::actor_cast<caf::actor>(ev.source)) enroll(self, ev.server, std::move(conn), true);
      },
      [self](router_stats_atom) {
        auto s = self->state.stats;
        s.open_requests = self->state.pending.size();
        s.armed_deadlines = self->state.deadlines.size();
        s.servers = self->state.servers.size();
        s.open_uploads = self->state.uploads.size();
        s.servers_connected = static_cast<std::uint64_t>(std::count_if(
            self->state.servers.begin(), self->state.servers.end(), [](const auto& kv) { return kv.second.any_connected(); }));
        return s;
      },
      [self](router_servers_atom) {
        auto& rs = self->state;
        auto now = self->clock().now();
        std::vector<router_server_view> out;
        for (const auto& [id, slot] : rs.servers) {
          router_server_view v;
          v.server = id;
          for (const auto& c : slot.conns) {
            v.connections.push_back(c.handle);
            if (c.connected) ++v.connections_up;
          }
          v.ejected = rs.health.is_ejected(id, now);
          auto e = rs.ejections.find(id);
          v.ejections = e == rs.ejections.end() ? 0 : e->second;
          out.push_back(std::move(v));
        }
        return out;
      },
  };
}

void validate(const router_config& cfg) {
  if (router::check(cfg.quorum)) throw std::invalid_argument("router: invalid replicas / write quorum");
  if (router::check(cfg.deadlines)) throw std::invalid_argument("router: invalid deadline settings");
  if (router::check(cfg.health)) throw std::invalid_argument("router: invalid health settings");
  if (cfg.max_uploads == 0 || cfg.upload_idle_timeout <= router::duration::zero())
    throw std::invalid_argument("router: max_uploads and upload_idle_timeout must be positive");
}

}  // namespace

caf::actor spawn_router(caf::actor_system& sys, router_config cfg) {
  validate(cfg);
  auto* meters = cfg.meters;
  return metering::spawn_maybe_metered(sys, meters, "router", router_behavior, std::move(cfg));
}

caf::actor spawn_router(caf::local_actor* parent, router_config cfg) {
  validate(cfg);
  auto* meters = cfg.meters;
  return metering::spawn_maybe_metered(parent, meters, "router", router_behavior, std::move(cfg));
}

}  // namespace ferry::actors
