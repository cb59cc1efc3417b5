// The listener actor and its io side: an acceptor core (accepts, reads peer credentials, posts each
// connection to the actor) and a refusal (answers the client's first call OVERLOADED, then closes).
#include "actors/listener/listener_actor.hpp"

#include <sys/socket.h>

#include <boost/asio.hpp>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <array>
#include <chrono>
#include <string>
#include <utility>

#include "actors/session/socket_io.hpp"
#include "actors/session/status_reply.hpp"
#include "supervision/messages.hpp"
#include "xdr/decoder.hpp"
#include "actors/metering/metered.hpp"

namespace ferry::actors {

namespace listener_detail {
// io -> actor
struct connection_accepted {
  accepted_connection conn;
};
struct accept_failed {
  std::string reason;
};
}  // namespace listener_detail
}  // namespace ferry::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::listener_detail::connection_accepted)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ferry::actors::listener_detail::accept_failed)

namespace ferry::actors {

namespace {

namespace asio = boost::asio;
using unix_proto = asio::local::stream_protocol;
using tcp = asio::ip::tcp;
using listener_detail::accept_failed;
using listener_detail::connection_accepted;

peer_info peer_of(unix_proto::socket& s) {
  peer_info p;
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(s.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    p.pid = cred.pid;
    p.uid = cred.uid;
    p.gid = cred.gid;
    p.description = "pid " + std::to_string(cred.pid) + " uid " + std::to_string(cred.uid) + " gid " +
                    std::to_string(cred.gid);
  } else {
    p.description = "unix peer (no credentials)";
  }
  return p;
}

peer_info peer_of(tcp::socket& s) {
  peer_info p;
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  p.description = ec ? std::string("tcp peer") : ep.address().to_string() + ":" + std::to_string(ep.port());
  boost::system::error_code ignored;
  s.set_option(tcp::no_delay(true), ignored);
  return p;
}

accepted_connection wrap(unix_proto::socket s) {
  accepted_connection c;
  c.peer = peer_of(s);
  c.unix_socket = std::make_shared<unix_proto::socket>(std::move(s));
  return c;
}
accepted_connection wrap(tcp::socket s) {
  accepted_connection c;
  c.peer = peer_of(s);
  c.tcp_socket = std::make_shared<tcp::socket>(std::move(s));
  return c;
}

// Connections accepted and not yet decided on by the actor (spawned, refused): past this many the
// acceptor stops accepting until the actor catches up, and a connect storm waits in the kernel's backlog
// instead of flooding the actor's mailbox and session_sup with thousands of spawns that every other
// actor's messages would queue behind (a working client's p99 went from 4 to 57 ms under 10,000 connects).
constexpr std::uint32_t max_in_transit = 16;

// Accepts on the io thread until closed. A failed accept (EMFILE: out of descriptors) is reported and
// retried after a pause rather than spinning.
template <class Protocol>
class acceptor_core : public std::enable_shared_from_this<acceptor_core<Protocol>> {
 public:
  acceptor_core(typename Protocol::acceptor acceptor, caf::actor owner, std::function<asio::io_context&()> session_io)
      : acceptor_(std::move(acceptor)),
        retry_(acceptor_.get_executor()),
        owner_(std::move(owner)),
        session_io_(std::move(session_io)) {}

  auto executor() { return acceptor_.get_executor(); }

  void start() { accept_next(); }

  /// The actor decided on one connection (on the io thread, posted by the actor).
  void decided() {
    if (in_transit_ > 0) --in_transit_;
    if (waiting_ && in_transit_ < max_in_transit) {
      waiting_ = false;
      accept_next();
    }
  }

  void close() {
    closed_ = true;
    owner_ = nullptr;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
  }

 private:
  void accept_next() {
    if (closed_) return;
    auto handler = [self = this->shared_from_this()](const boost::system::error_code& ec,
                                                     typename Protocol::socket socket) {
      if (self->closed_) return;
      if (ec) {
        if (ec == asio::error::operation_aborted) return;
        caf::anon_send(self->owner_, accept_failed{ec.message()});
        self->retry_.expires_after(std::chrono::milliseconds(100));
        self->retry_.async_wait([self](const boost::system::error_code& e) {
          if (!e) self->accept_next();
        });
        return;
      }
      caf::anon_send(self->owner_, connection_accepted{wrap(std::move(socket))});
      if (++self->in_transit_ >= max_in_transit) {
        self->waiting_ = true;  // decided() accepts again
        return;
      }
      self->accept_next();
    };
    // The accepted socket belongs to the io context its session will run on.
    if (session_io_)
      acceptor_.async_accept(session_io_(), std::move(handler));
    else
      acceptor_.async_accept(std::move(handler));
  }

  typename Protocol::acceptor acceptor_;
  asio::steady_timer retry_;
  caf::actor owner_;
  std::function<asio::io_context&()> session_io_;
  std::uint32_t in_transit_ = 0;
  bool waiting_ = false;
  bool closed_ = false;
};

// Answers a refused client: reads its first call's header, replies OVERLOADED with `detail`, shuts the
// sending side and drains what the client still sends (so the close does not reset the connection
// before the reply is read), all within a few seconds.
template <class Protocol>
class refusal : public std::enable_shared_from_this<refusal<Protocol>> {
 public:
  refusal(typename Protocol::socket socket, std::string detail)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), detail_(std::move(detail)) {}

  auto executor() { return socket_.get_executor(); }

  void start() {
    auto self = this->shared_from_this();
    timer_.expires_after(std::chrono::seconds(3));
    timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec) self->finish();
    });
    // Record mark, xid, msg type, rpc version, program, version, procedure: 28 bytes.
    asio::async_read(socket_, asio::buffer(head_), [self](const boost::system::error_code& ec, std::size_t) {
      if (ec) return self->finish();
      // The 24 bytes after the record mark, as XDR words: xid, type, rpcvers, prog, vers, proc (the
      // buffer is exactly that long, so every read succeeds).
      xdr::decoder d{xdr::bytes_view{self->head_}.subspan(4)};
      const auto xid = *d.u32();
      for (int skipped = 0; skipped < 4; ++skipped) (void)d.u32();
      const auto proc = *d.u32();
      self->reply_ = status_only_reply(xid, proc, proto::status::overloaded, self->detail_);
      for (auto v : self->reply_.body.views()) self->buffers_.emplace_back(v.data(), v.size());
      asio::async_write(self->socket_, self->buffers_, [self](const boost::system::error_code& err, std::size_t) {
        if (err) return self->finish();
        boost::system::error_code ignored;
        self->socket_.shutdown(Protocol::socket::shutdown_send, ignored);
        self->drain();
      });
    });
  }

 private:
  void drain() {
    auto self = this->shared_from_this();
    socket_.async_read_some(asio::buffer(sink_), [self](const boost::system::error_code& ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > (1u << 20)) return self->finish();
      self->drain();
    });
  }
  void finish() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

  typename Protocol::socket socket_;
  asio::steady_timer timer_;
  std::string detail_;
  std::array<std::uint8_t, 28> head_{};
  std::array<std::uint8_t, 4096> sink_{};
  std::size_t drained_ = 0;
  transport::outgoing_record reply_;
  std::vector<asio::const_buffer> buffers_;
};

template <class Protocol>
void refuse_on(std::shared_ptr<typename Protocol::socket>& socket, std::string detail) {
  if (!socket) return;
  auto r = std::make_shared<refusal<Protocol>>(std::move(*socket), std::move(detail));
  socket.reset();
  asio::post(r->executor(), [r] { r->start(); });
}

void refuse(accepted_connection& conn, const std::string& detail) {
  refuse_on<unix_proto>(conn.unix_socket, detail);
  refuse_on<tcp>(conn.tcp_socket, detail);
}

/// The bound acceptor between the start function and the actor's first step.
struct prepared_acceptor {
  std::optional<unix_proto::acceptor> unix_acceptor;
  std::optional<tcp::acceptor> tcp_acceptor;
  std::string address;
  std::function<void()> cleanup;  // removes the socket file
};

struct listener_state {
  listener_config cfg;
  std::optional<listener::accept_policy> policy;
  std::function<void()> close_acceptor;
  std::function<void()> decided;  // tells the acceptor one connection in transit is dealt with
  std::function<void()> cleanup;
  listener_stats stats;
  std::uint64_t pending_spawns = 0;
  static inline const char* name = "listener";
  ~listener_state() {
    if (close_acceptor) close_acceptor();
    if (cleanup) cleanup();
  }
};
using listener_actor = caf::stateful_actor<listener_state>*;

/// Starts the acceptor; `close` and `decided` post to its io thread.
template <class Protocol>
void start_core(typename Protocol::acceptor acceptor, caf::actor owner, std::function<asio::io_context&()> session_io,
                std::function<void()>& close, std::function<void()>& decided) {
  auto core = std::make_shared<acceptor_core<Protocol>>(std::move(acceptor), std::move(owner), std::move(session_io));
  auto executor = core->executor();
  asio::post(executor, [core] { core->start(); });
  close = [core, executor]() mutable { asio::post(executor, [core] { core->close(); }); };
  decided = [core, executor]() mutable { asio::post(executor, [core] { core->decided(); }); };
}

std::string retry_hint(std::chrono::nanoseconds wait) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count() + 1;
  return "retry in " + std::to_string(ms) + " ms";
}

void event(listener_actor self, const std::string& line) {
  if (self->state.cfg.on_event) self->state.cfg.on_event(line);
}

/// True when a session was asked for (the acceptor hears when it is up); false when refused here.
bool admit(listener_actor self, accepted_connection& conn) {
  auto& st = self->state;
  if (conn.unix_socket && !st.cfg.allow.admits(conn.peer.uid, conn.peer.gid)) {
    ++st.stats.refused_peer;
    auto detail = listener::refusal_reason(conn.peer.uid, conn.peer.gid);
    event(self, st.cfg.name + " listener refused " + conn.peer.description + ": " + detail);
    refuse(conn, detail);
    return false;
  }
  const auto now = listener::clock::now();
  const auto open = st.cfg.budget->sessions() + st.pending_spawns;
  switch (st.policy->admit(now, open)) {
    case listener::admission::refused_sessions: {
      ++st.stats.refused_sessions;
      auto detail = "ferryd has its maximum of " + std::to_string(st.policy->limits().max_sessions) +
                    " sessions open; try again later";
      event(self, st.cfg.name + " listener refused " + conn.peer.description + ": " + detail);
      refuse(conn, detail);
      return false;
    }
    case listener::admission::refused_rate: {
      ++st.stats.refused_rate;
      auto detail = "ferryd accepts at most " + std::to_string(st.policy->limits().rate) +
                    " connections/s; " + retry_hint(st.policy->next_token_in(now));
      event(self, st.cfg.name + " listener refused " + conn.peer.description + ": " + detail);
      refuse(conn, detail);
      return false;
    }
    case listener::admission::admitted:
      break;
  }
  ++st.pending_spawns;
  self->request(st.cfg.session_sup, caf::infinite, supervision::start_child_with{caf::make_message(std::move(conn))})
      .then(
          [self](const caf::actor&) {
            --self->state.pending_spawns;
            ++self->state.stats.accepted;
            if (self->state.decided) self->state.decided();
          },
          [self](caf::error& e) {
            --self->state.pending_spawns;
            if (self->state.decided) self->state.decided();
            ++self->state.stats.spawn_failures;
            event(self, self->state.cfg.name + " listener: a session failed to start: " + self->system().render(e));
          });
  return true;
}

caf::behavior listener_behavior(listener_actor self, listener_config cfg, std::shared_ptr<prepared_acceptor> prep) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.policy.emplace(st.cfg.limits, listener::clock::now());
  st.stats.name = st.cfg.name;
  st.stats.address = prep->address;
  st.cleanup = std::move(prep->cleanup);
  auto me = caf::actor_cast<caf::actor>(self);
  if (prep->unix_acceptor)
    start_core<unix_proto>(std::move(*prep->unix_acceptor), me, st.cfg.session_io, st.close_acceptor, st.decided);
  if (prep->tcp_acceptor)
    start_core<tcp>(std::move(*prep->tcp_acceptor), me, st.cfg.session_io, st.close_acceptor, st.decided);
  return {
      [self](connection_accepted& msg) {
        if (!admit(self, msg.conn) && self->state.decided) self->state.decided();  // refused: decided now
      },
      [self](accept_failed& msg) {
        ++self->state.stats.accept_errors;
        event(self, self->state.cfg.name + " listener: accept failed: " + msg.reason + " (retrying in 100 ms)");
      },
      [self](set_accept_limits& msg) {
        if (listener::check(msg.limits)) return;
        self->state.policy->reconfigure(msg.limits, listener::clock::now());
      },
      [self](listener_stats_atom) { return self->state.stats; },
  };
}

}  // namespace

std::function<caf::expected<caf::actor>(caf::local_actor*, const caf::message&)> listener_starter(listener_config cfg) {
  return [cfg](caf::local_actor* parent, const caf::message&) -> caf::expected<caf::actor> {
    if (cfg.io == nullptr || !cfg.budget) return caf::make_error(caf::sec::invalid_argument, "listener: no io context or budget");
    if (listener::check(cfg.limits)) return caf::make_error(caf::sec::invalid_argument, "listener: invalid accept limits");
    auto prep = std::make_shared<prepared_acceptor>();
    if (!cfg.unix_path.empty()) {
      auto options = cfg.unix_options;
      options.path = cfg.unix_path;
      auto opened = listener::open_unix(*cfg.io, options);
      if (auto* err = std::get_if<std::string>(&opened)) return caf::make_error(caf::sec::runtime_error, *err);
      auto& l = std::get<listener::unix_listening>(opened);
      prep->address = l.path;
      prep->cleanup = [path = l.path, dev = l.dev, ino = l.ino] { listener::remove_socket_file(path, dev, ino); };
      prep->unix_acceptor.emplace(std::move(l.acceptor));
    } else {
      auto opened = listener::open_tcp(*cfg.io, cfg.tcp_host, cfg.tcp_port);
      if (auto* err = std::get_if<std::string>(&opened)) return caf::make_error(caf::sec::runtime_error, *err);
      auto& a = std::get<tcp::acceptor>(opened);
      boost::system::error_code ec;
      auto ep = a.local_endpoint(ec);
      prep->address = ec ? cfg.tcp_host + ":" + std::to_string(cfg.tcp_port)
                         : ep.address().to_string() + ":" + std::to_string(ep.port());
      prep->tcp_acceptor.emplace(std::move(a));
    }
    return metering::spawn_maybe_metered(parent, cfg.meters, "listener " + cfg.name, listener_behavior, cfg, prep);
  };
}

}  // namespace ferry::actors
