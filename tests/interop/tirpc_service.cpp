// The libtirpc service loop: poll libtirpc's own descriptor table plus a wake pipe, hand ready
// descriptors to svc_getreq_poll, leave when the pipe is written. No timeouts decide the outcome.
#include "tirpc_service.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ferry::interop {
namespace {

// Long enough never to fire in a passing run; it only bounds a hung test.
constexpr int idle_guard_ms = 60'000;

bool registered(int fd) {
  for (int i = 0; i < svc_max_pollfd; ++i)
    if (svc_pollfd[i].fd == fd) return true;
  return false;
}

}  // namespace

tirpc_service::tirpc_service(unique_fd connection, const std::vector<tirpc_registration>& registrations) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string{"pipe: "} + std::strerror(errno));
  wake_read_ = unique_fd{pipe_fds[0]};
  wake_write_ = unique_fd{pipe_fds[1]};

  // svc_fd_create makes the same connection transport an accepted socket gets, on a socket we own.
  fd_ = connection.get();
  xprt_ = svc_fd_create(fd_, 0, 0);
  if (xprt_ == nullptr) throw std::runtime_error("svc_fd_create failed");
  connection.release();  // svc_destroy closes it from now on
  for (const auto& r : registrations) {
    // nconf NULL: no rpcbind. The callout stays registered for the process: svc_unreg would also call
    // rpcb_unset and could unregister a real ferry service from this machine's rpcbind. Registering the
    // same dispatch again is a no-op in libtirpc.
    if (!svc_reg(xprt_, r.program, r.version, r.dispatch, nullptr)) {
      svc_destroy(xprt_);
      throw std::runtime_error("svc_reg failed");
    }
  }
  thread_ = std::thread{[this] { run(); }};
}

void tirpc_service::run() {
  for (;;) {
    // libtirpc edits svc_pollfd as transports come and go (only on this thread while it runs).
    std::vector<pollfd> fds(svc_pollfd, svc_pollfd + svc_max_pollfd);
    fds.push_back(pollfd{wake_read_.get(), POLLIN, 0});
    int ready = ::poll(fds.data(), static_cast<nfds_t>(fds.size()), idle_guard_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) went_idle_ = true;
    if (ready <= 0 || fds.back().revents != 0) return;
    svc_getreq_poll(fds.data(), ready);  // stops after `ready` entries, before reaching the wake pipe
  }
}

void tirpc_service::stop() {
  if (!thread_.joinable()) return;
  byte wake = 1;
  (void)write_all(wake_write_.get(), bytes_view{&wake, 1});
  thread_.join();
}

tirpc_service::~tirpc_service() {
  stop();
  // libtirpc destroys a transport by itself when its peer closes; destroy ours only if it is still there.
  if (registered(fd_)) svc_destroy(xprt_);
}

tirpc_client::tirpc_client(int connected_fd, rpcprog_t program, rpcvers_t version) {
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  if (::getpeername(connected_fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0)
    throw std::runtime_error(std::string{"getpeername: "} + std::strerror(errno));
  netbuf address{len, len, &peer};  // maxlen too: libtirpc allocates maxlen and copies len bytes
  clnt_ = clnt_vc_create(connected_fd, &address, program, version, 0, 0);
  if (clnt_ == nullptr) throw std::runtime_error(clnt_spcreateerror("clnt_vc_create"));
}

void tirpc_client::use_auth(AUTH* auth) {
  if (auth == nullptr) throw std::runtime_error("no AUTH to use");
  auth_destroy(clnt_->cl_auth);
  clnt_->cl_auth = auth;
}

tirpc_client::~tirpc_client() {
  auth_destroy(clnt_->cl_auth);
  clnt_destroy(clnt_);
}

}  // namespace ferry::interop
