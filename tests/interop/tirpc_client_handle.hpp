// A libtirpc CLIENT made the two ways a C program reaches a ferry-store: straight to a known TCP port
// (no rpcbind involved) or by asking rpcbind with clnt_create. Plus the result holder for -M stubs.
#pragma once

#include <rpc/rpc.h>

#include <cstdint>

namespace ferry::interop {

/// Owns a CLIENT* and its AUTH. libtirpc never reconnects a handle and drops the next reply after a
/// timeout, so a test that sees a call fail makes a new handle rather than reuse this one.
class client_handle {
 public:
  /// clnttcp_create to 127.0.0.1:port: no rpcbind involved. Throws std::runtime_error on failure.
  static client_handle loopback_tcp(std::uint16_t port, rpcprog_t program, rpcvers_t version);
  /// clnt_create on "tcp": rpcbind on `host` tells the port. Throws std::runtime_error on failure.
  static client_handle through_rpcbind(const char* host, rpcprog_t program, rpcvers_t version);

  client_handle(client_handle&& other) noexcept : clnt_(other.clnt_) { other.clnt_ = nullptr; }
  client_handle& operator=(client_handle&&) = delete;
  client_handle(const client_handle&) = delete;
  client_handle& operator=(const client_handle&) = delete;
  ~client_handle();

  CLIENT* get() const noexcept { return clnt_; }
  /// The TCP port the handle is connected to (CLGET_SERVER_ADDR), 0 if libtirpc cannot say.
  std::uint16_t server_port() const;

 private:
  explicit client_handle(CLIENT* clnt);
  CLIENT* clnt_;
};

/// Frees what libtirpc's decoder allocated inside `value` (xdr_free with rpcgen's routine for C).
template <class C>
void free_decoded(bool_t (*routine)(XDR*, C*), C& value) {
  // xdrproc_t is variadic; going through void(*)() is the one cast -Wcast-function-type accepts.
  xdr_free(reinterpret_cast<xdrproc_t>(reinterpret_cast<void (*)()>(routine)), reinterpret_cast<char*>(&value));
}

/// The result of an rpcgen -M stub. `fresh()` frees the previous result and zeroes the struct before a
/// call (libtirpc's decoder allocates only where it finds NULL); the destructor frees the last one, so
/// a REQUIRE that ends a test early leaks nothing.
template <class C>
class decoded {
 public:
  explicit decoded(bool_t (*routine)(XDR*, C*)) noexcept : routine_(routine) {}
  ~decoded() { free_decoded(routine_, value_); }
  decoded(const decoded&) = delete;
  decoded& operator=(const decoded&) = delete;

  C* fresh() {
    free_decoded(routine_, value_);
    value_ = C{};
    return &value_;
  }
  const C& operator*() const noexcept { return value_; }
  const C* operator->() const noexcept { return &value_; }

 private:
  bool_t (*routine_)(XDR*, C*);
  C value_{};
};

}  // namespace ferry::interop
