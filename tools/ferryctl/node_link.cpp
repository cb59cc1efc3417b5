// node_link: per-node actor system on its own thread; bounded connect through the middleman actor.
#include "node_link.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

namespace ferry::ctl {

namespace {

using std::chrono::milliseconds;

milliseconds left_until(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now());
  return std::max(left, milliseconds(1));
}

// Runs queued jobs with `ctx` until stop() is asked and the queue is empty.
template <class Channel>
void serve(Channel& ch, link_context& ctx) {
  for (;;) {
    std::function<void(link_context&)> job;
    {
      std::unique_lock lock(ch.mtx);
      ch.cv.wait(lock, [&] { return ch.stopping || !ch.jobs.empty(); });
      if (ch.jobs.empty()) return;
      job = std::move(ch.jobs.front());
      ch.jobs.pop_front();
    }
    job(ctx);
  }
}

}  // namespace

std::string describe(caf::actor_system& sys, const caf::error& err, milliseconds waited) {
  if (err == caf::sec::request_timeout) return "no answer within " + std::to_string(waited.count()) + " ms";
  if (err == caf::sec::connection_timeout)
    return "the peer accepted TCP but never completed CAF's handshake (not ferryd's admin port?)";
  if (err == caf::sec::disconnect_during_handshake)
    return "disconnected during the handshake (TLS expected or refused?)";
  if (err == caf::sec::cannot_connect_to_node) return "cannot connect: " + sys.render(err);
  return sys.render(err);
}

node_link::node_link(endpoint where, link_options opts)
    : where_(std::move(where)), connect_deadline_(clock::now() + opts.timeout), ch_(std::make_shared<channel>()),
      thread_(&node_link::run, ch_, where_, std::move(opts), connect_deadline_) {}

node_link::~node_link() {
  if (!stop(clock::now() + milliseconds(500))) thread_.detach();
}

void node_link::post(std::function<void(link_context&)> job) {
  std::lock_guard lock(ch_->mtx);
  ch_->jobs.push_back(std::move(job));
  ch_->cv.notify_all();
}

bool node_link::stop(clock::time_point deadline) {
  std::unique_lock lock(ch_->mtx);
  ch_->stopping = true;
  ch_->cv.notify_all();
  if (!ch_->cv.wait_until(lock, deadline, [&] { return ch_->finished; })) return false;
  lock.unlock();
  if (thread_.joinable()) thread_.join();
  return true;
}

void node_link::run(std::shared_ptr<channel> ch, endpoint where, link_options opts, clock::time_point deadline) {
  try {
    caf::actor_system_config cfg;
    cfg.load<caf::io::middleman>();
    admin::add_admin_types(cfg);
    // One small scheduler per node; heartbeats make CAF itself give up on a peer that never speaks BASP.
    cfg.set("scheduler.policy", caf::atom("sharing"));
    cfg.set("scheduler.max-threads", 2);
    auto beat = std::max(opts.timeout / 2, milliseconds(50));
    cfg.set("middleman.heartbeat-interval", caf::timespan{beat});
    cfg.set("middleman.connection-timeout", caf::timespan{std::max(opts.timeout, 2 * beat)});
    if (opts.tls) {
      cfg.load<caf::openssl::manager>();
      cfg.set("openssl.cafile", opts.tls->ca);
      cfg.set("openssl.certificate", opts.tls->cert);
      cfg.set("openssl.key", opts.tls->key);
      if (!opts.tls->passphrase.empty()) cfg.set("openssl.passphrase", opts.tls->passphrase);
    }
    caf::actor_system sys{cfg};
    {
      caf::scoped_actor self{sys};
      link_context ctx{&sys, &self, {}, {}};
      // remote_actor() has no timeout: ask the middleman actor for the connection, with one (notes §4).
      auto mm = opts.tls ? sys.openssl_manager().actor_handle() : sys.middleman().actor_handle();
      auto wait = left_until(deadline);
      self->request(mm, wait, caf::connect_atom::value, where.host, where.port)
          .receive(
              [&](caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>& ifs) {
                if (!ptr) ctx.error = "a CAF node, but nothing is published on this port";
                else if (!sys.assignable<admin::admin_actor>(ifs))
                  ctx.error = "the actor published here is not ferryd's admin actor";
                else ctx.admin = caf::actor_cast<admin::admin_actor>(std::move(ptr));
              },
              [&](caf::error& err) { ctx.error = describe(sys, err, opts.timeout); });
      serve(*ch, ctx);
      ctx.admin = nullptr;
    }
  } catch (const std::exception& e) {
    // CAF failed to start: answer what is queued, and what comes, with the reason.
    link_context ctx;
    ctx.error = std::string("cannot start CAF: ") + e.what();
    serve(*ch, ctx);
  }
  std::lock_guard lock(ch->mtx);
  ch->finished = true;
  ch->cv.notify_all();
}

}  // namespace ferry::ctl
