// router: state first (server set, HLC, health, pending table with one deadline timer), behaviour second.
// Every request gets an id in the pending table and an entry in the deadline set; both go on its answer.
#include "actors/router/router_actor.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
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
#include "actors/rpc_connection/call_args.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/store.hpp"

namespace ferry::actors {
namespace {

namespace ps = proto::store;
using router::duration;
using router::server_id;
using router::time_point;
using proto::status;

/// Self-sent when the earliest request deadline is due.
using deadline_tick_atom = caf::atom_constant<caf::atom("rtr_tick")>;

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
struct read_op {
  std::variant<caf::typed_response_promise<get_reply>, caf::typed_response_promise<stat_reply>> rp;
  store_request call;
  std::vector<server_id> order;  // replicas in the order to try
  std::size_t next = 0;          // next index in order
  std::vector<std::string> failures;
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

struct pending_request {
  time_point deadline;
  std::variant<write_op, read_op, list_op> op;
};

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
  router_stats stats;
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
  if (ok)
    self->state.health.record_success(s, router::latency(took), now);
  else
    self->state.health.record_error(s, now);
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

std::uint64_t open(router_actor self, time_point deadline, std::variant<write_op, read_op, list_op> op) {
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

void time_out(router_actor self, std::uint64_t id) {
  auto it = self->state.pending.find(id);
  if (it == self->state.pending.end()) return;
  ++self->state.stats.timeouts;
  fail_pending(it->second, status::timedout, "deadline passed; ");
  close(self, id);
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
  self->request(conn, timeout, rpc_call{call.proc, call.args, timeout})
      .then([self, start, on_done](rpc_reply& r) mutable { on_done(attempt_result{std::move(r)}, self->clock().now() - start); },
            [self, start, on_done](caf::error& e) mutable { on_done(attempt_result{std::move(e)}, self->clock().now() - start); });
}

/// Checks shared by every routed request; answers and returns false when the request cannot start.
template <class Reply>
bool admissible(router_actor self, caf::typed_response_promise<Reply>& rp, time_point deadline) {
  auto& st = self->state;
  if (deadline <= self->clock().now()) {
    ++st.stats.timeouts;
    deliver_failure(rp, status::timedout, "deadline passed before the request was routed");
    return false;
  }
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
      if (self->clock().now() >= at) {
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

template <class MakeCall>
void start_write(router_actor self, caf::typed_response_promise<write_reply>& rp, xdr::bytes_view key,
                 time_point deadline, MakeCall make_call) {
  auto& st = self->state;
  if (!admissible(self, rp, deadline)) return;
  auto reps = router::replicas(key, st.ids, st.cfg.quorum.replicas);
  const auto w = st.cfg.quorum.write_quorum;
  if (reps.size() < w) {
    deliver_failure(rp, status::unavailable,
                    "only " + std::to_string(reps.size()) + " data servers for a write quorum of " + std::to_string(w));
    return;
  }
  const auto ver = st.hlc.tick(wall_ms(self));
  store_request call = make_call(ver);
  if (!call.args) {
    deliver_failure(rp, status::bad_request, "arguments exceed their XDR bounds");
    return;
  }
  const auto id = open(self, deadline,
                       write_op{rp, router::write_quorum({reps.size(), w}, ver), reps.size(), w, {}});
  const auto budget = deadline - self->clock().now();
  for (const auto& s : reps)
    attempt(self, s, call, budget,
            [self, id, s](attempt_result res, duration took) { on_write_outcome(self, id, s, res, took); });
}

// ---- reads (GET, STAT) ----

get_reply make_read_reply(const proto::get_res& r, const shared_bytes& owner) {
  return {r.code, r.found, r.tombstone, std::string{r.detail}, owner};
}
stat_reply make_read_reply(const proto::stat_res& r, const shared_bytes&) {
  return {r.code, r.info, r.tombstone, std::string{r.detail}};
}
proto::version reported_version(const proto::get_res& r) { return r.code == status::ok ? r.found.info.ver : r.tombstone; }
proto::version reported_version(const proto::stat_res& r) { return r.code == status::ok ? r.info.ver : r.tombstone; }

/// Statuses a replica answers the same way as any other would: the read is decided by them.
bool is_answer(status code) {
  return code == status::ok || code == status::not_found || code == status::bad_key || code == status::too_big ||
         code == status::bad_request;
}

void next_read(router_actor self, std::uint64_t id);

template <class Res>
void on_read_outcome(router_actor self, std::uint64_t id, const server_id& s, attempt_result& res, duration took) {
  auto& st = self->state;
  std::optional<attempt_failure> failure;
  if (auto* reply = std::get_if<rpc_reply>(&res)) {
    auto r = xdr::decode<Res>(reply->results());
    if (!r) {
      failure = attempt_failure{status::io_error, "undecodable reply"};
    } else if (is_answer(r->code)) {
      record_health(self, s, true, took);
      if (auto v = reported_version(*r); v.hlc != 0) st.hlc.observe(v.hlc, wall_ms(self));
      auto* op = find_op<read_op>(self, id);
      if (!op) {
        ++st.stats.dropped_replies;
        return;
      }
      using reply_t = decltype(make_read_reply(*r, reply->record));
      std::get<caf::typed_response_promise<reply_t>>(op->rp).deliver(make_read_reply(*r, reply->record));
      close(self, id);
      return;
    } else {
      failure = describe(r->code, r->detail);
    }
  } else {
    failure = describe(std::get<caf::error>(res));
  }
  record_health(self, s, false, took);
  auto* op = find_op<read_op>(self, id);
  if (!op) {
    ++st.stats.dropped_replies;
    return;
  }
  op->failures.push_back(s + ": " + failure->what);
  next_read(self, id);
}

void next_read(router_actor self, std::uint64_t id) {
  auto* op = find_op<read_op>(self, id);
  if (!op) return;
  const auto deadline = self->state.pending.find(id)->second.deadline;
  const auto now = self->clock().now();
  if (op->next < op->order.size()) {
    auto budget = router::attempt_budget(self->state.cfg.deadlines, deadline, now, op->order.size() - op->next);
    if (budget) {
      const auto s = op->order[op->next++];
      const bool stat = op->rp.index() == 1;
      auto done = [self, id, s, stat](attempt_result res, duration took) {
        if (stat)
          on_read_outcome<proto::stat_res>(self, id, s, res, took);
        else
          on_read_outcome<proto::get_res>(self, id, s, res, took);
      };
      attempt(self, s, op->call, *budget, std::move(done));  // may answer and erase op: nothing after it
      return;
    }
  }
  auto& p = self->state.pending.find(id)->second;
  const bool out_of_time = op->next < op->order.size() || now >= deadline;
  if (out_of_time) ++self->state.stats.timeouts;
  fail_pending(p, out_of_time ? status::timedout : status::unavailable,
               out_of_time ? "deadline passed; " : "no replica answered: ");
  close(self, id);
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

template <class Reply, class Request>
void start_read(router_actor self, caf::typed_response_promise<Reply>& rp, Request& r, ps::proc proc) {
  if (!admissible(self, rp, r.deadline)) return;
  store_request call = make_store_request(proc, ps::key_args{r.args.key}, {r.owner});
  if (!call.args) {
    deliver_failure(rp, status::bad_request, "arguments exceed their XDR bounds");
    return;
  }
  read_op op{rp, std::move(call), read_order(self, r.args.key), 0, {}};
  const auto id = open(self, r.deadline, std::move(op));
  next_read(self, id);
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

/// A handler answering a chunked-transfer request UNAVAILABLE: the router does not route them yet.
template <class Request, class Reply>
auto not_routed_yet(router_actor self) {
  return [self](Request&) {
    ++self->state.stats.requests;
    return failed<Reply>(status::unavailable, "chunked transfers are not routed by ferryd yet (router: not implemented)");
  };
}

caf::behavior router_behavior(router_actor self, router_config cfg) {
  auto& st = self->state;
  st.hlc = router::hybrid_clock{cfg.writer};
  st.health = router::health_board{cfg.health};
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
    for (auto& [id, p] : s.pending) fail_pending(p, status::shutting_down, "router stopping; ");
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
        start_read(self, rp, r, ps::proc::get);
        return rp;
      },
      [self](stat_request& r) {
        auto rp = self->make_response_promise<stat_reply>();
        ++self->state.stats.requests;
        start_read(self, rp, r, ps::proc::stat);
        return rp;
      },
      [self](list_request& r) {
        auto rp = self->make_response_promise<list_reply>();
        ++self->state.stats.requests;
        start_list(self, rp, r);
        return rp;
      },
      not_routed_yet<write_open_request, write_open_reply>(self),
      not_routed_yet<write_chunk_request, status_reply>(self),
      not_routed_yet<write_commit_request, write_reply>(self),
      not_routed_yet<write_abort_request, status_reply>(self),
      not_routed_yet<read_request, read_reply>(self),
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
        s.servers_connected = static_cast<std::uint64_t>(std::count_if(
            self->state.servers.begin(), self->state.servers.end(), [](const auto& kv) { return kv.second.any_connected(); }));
        return s;
      },
  };
}

void validate(const router_config& cfg) {
  if (router::check(cfg.quorum)) throw std::invalid_argument("router: invalid replicas / write quorum");
  if (router::check(cfg.deadlines)) throw std::invalid_argument("router: invalid deadline settings");
  if (router::check(cfg.health)) throw std::invalid_argument("router: invalid health settings");
}

}  // namespace

caf::actor spawn_router(caf::actor_system& sys, router_config cfg) {
  validate(cfg);
  return sys.spawn(router_behavior, std::move(cfg));
}

caf::actor spawn_router(caf::local_actor* parent, router_config cfg) {
  validate(cfg);
  return parent->spawn(router_behavior, std::move(cfg));
}

}  // namespace ferry::actors
