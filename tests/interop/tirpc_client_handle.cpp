// Creating and destroying libtirpc client handles for the interop tests against real binaries.
#include "tirpc_client_handle.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdexcept>
#include <string>

namespace ferry::interop {
namespace {

// Bounds every call (the stubs' own default is 25 s) and the rpcbind lookup of clnt_create.
constexpr timeval call_timeout{10, 0};
constexpr timeval lookup_timeout{5, 0};

CLIENT* with_call_timeout(CLIENT* clnt) {
  auto timeout = call_timeout;
  if (!clnt_control(clnt, CLSET_TIMEOUT, &timeout)) {
    auth_destroy(clnt->cl_auth);
    clnt_destroy(clnt);
    throw std::runtime_error("clnt_control(CLSET_TIMEOUT) refused");
  }
  return clnt;
}

}  // namespace

client_handle::client_handle(CLIENT* clnt) : clnt_(with_call_timeout(clnt)) {}

client_handle client_handle::loopback_tcp(std::uint16_t port, rpcprog_t program, rpcvers_t version) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int socket = RPC_ANYSOCK;  // libtirpc opens and owns the socket; clnt_destroy closes it
  CLIENT* clnt = clnttcp_create(&address, program, version, &socket, 0, 0);
  if (clnt == nullptr) throw std::runtime_error(clnt_spcreateerror("clnttcp_create"));
  return client_handle{clnt};
}

client_handle client_handle::through_rpcbind(const char* host, rpcprog_t program, rpcvers_t version) {
  CLIENT* clnt = clnt_create_timed(host, program, version, "tcp", &lookup_timeout);
  if (clnt == nullptr) throw std::runtime_error(clnt_spcreateerror("clnt_create"));
  return client_handle{clnt};
}

client_handle::~client_handle() {
  if (clnt_ == nullptr) return;
  auth_destroy(clnt_->cl_auth);
  clnt_destroy(clnt_);
}

std::uint16_t client_handle::server_port() const {
  sockaddr_storage address{};
  if (!clnt_control(clnt_, CLGET_SERVER_ADDR, &address)) return 0;
  if (address.ss_family != AF_INET) return 0;
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

}  // namespace ferry::interop
