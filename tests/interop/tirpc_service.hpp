// A libtirpc server for the interop tests: rpcgen dispatch routines served on one connected socket by a
// thread that loops on svc_getreq_poll and stops when told to (svc_run never returns), then cleans up.
#pragma once

#include <rpc/rpc.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "wire_support.hpp"

namespace ferry::interop {

using tirpc_dispatch = void (*)(struct svc_req*, SVCXPRT*);

struct tirpc_registration {
  rpcprog_t program;
  rpcvers_t version;
  tirpc_dispatch dispatch;
};

/// Serves `registrations` on `connection` (libtirpc takes the descriptor over) until destroyed.
/// libtirpc keeps its transports and callouts in process-wide tables, so one service runs at a time.
class tirpc_service {
 public:
  tirpc_service(unique_fd connection, const std::vector<tirpc_registration>& registrations);
  ~tirpc_service();
  tirpc_service(const tirpc_service&) = delete;
  tirpc_service& operator=(const tirpc_service&) = delete;

  /// Stops the loop and joins it. The connection stays open until destruction.
  void stop();
  /// True when the loop gave up because nothing happened for the idle guard (a test bug or a hang).
  bool went_idle() const noexcept { return went_idle_; }

 private:
  void run();

  SVCXPRT* xprt_ = nullptr;
  int fd_ = -1;
  unique_fd wake_read_;
  unique_fd wake_write_;
  std::atomic<bool> went_idle_{false};
  std::thread thread_;
};

/// A libtirpc client (clnt_vc_create) on a connected socket that stays ours: destroying the client
/// leaves the descriptor open, so the test decides when the peer sees end of stream.
class tirpc_client {
 public:
  tirpc_client(int connected_fd, rpcprog_t program, rpcvers_t version);
  ~tirpc_client();
  tirpc_client(const tirpc_client&) = delete;
  tirpc_client& operator=(const tirpc_client&) = delete;

  CLIENT* get() const noexcept { return clnt_; }
  /// Replaces AUTH_NONE with `auth` (owned from now on).
  void use_auth(AUTH* auth);

 private:
  CLIENT* clnt_ = nullptr;
};

}  // namespace ferry::interop
