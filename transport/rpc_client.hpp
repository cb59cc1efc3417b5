// A blocking ONC RPC client over TCP built on ferry's codec, for tools and tests: send calls (pipelined,
// many before reading), receive replies by xid in any order. Every read is bounded by a timeout.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "xdr/codec.hpp"
#include "xdr/record.hpp"
#include "xdr/rpc.hpp"

namespace ferry::transport {

class rpc_client {
 public:
  /// Connects to an IPv4 address (dotted quad); throws std::runtime_error when it cannot.
  rpc_client(const std::string& host, std::uint16_t port, std::uint32_t program, std::uint32_t version);
  /// Connects to 127.0.0.1:port.
  rpc_client(std::uint16_t port, std::uint32_t program, std::uint32_t version)
      : rpc_client("127.0.0.1", port, program, version) {}
  ~rpc_client();
  rpc_client(const rpc_client&) = delete;
  rpc_client& operator=(const rpc_client&) = delete;

  /// Sends a call with encoded arguments; returns its xid.
  template <class Args>
  std::uint32_t send(std::uint32_t proc, const Args& args) {
    xdr::encoder e;
    e.begin_record();
    xdr::rpc::encode_call(e, {next_xid_, program_, version_, proc, {}, {}});
    if (!xdr::encode(e, args)) throw std::runtime_error("arguments break their bounds");
    e.end_record();
    write_all(e.flatten());
    return next_xid_++;
  }
  std::uint32_t send_void(std::uint32_t proc);
  /// Sends raw bytes as they are (hostile tests).
  void write_all(const std::vector<xdr::byte>& bytes);

  /// The reply record for xid (reading and keeping others that arrive first); nullopt on EOF/timeout.
  std::optional<std::vector<xdr::byte>> reply_for(std::uint32_t xid);
  /// The next reply record in arrival order.
  std::optional<std::vector<xdr::byte>> next_reply();

  /// Calls and decodes the success result as R; throws std::runtime_error on RPC-level failure.
  template <class R, class Args>
  R call(std::uint32_t proc, const Args& args, std::vector<xdr::byte>& keep) {
    auto xid = send(proc, args);
    return decode_result<R>(xid, keep);
  }
  template <class R>
  R call_void(std::uint32_t proc, std::vector<xdr::byte>& keep) {
    return decode_result<R>(send_void(proc), keep);
  }
  template <class R>
  R decode_result(std::uint32_t xid, std::vector<xdr::byte>& keep) {
    auto rec = reply_for(xid);
    if (!rec) throw std::runtime_error("no reply");
    keep = std::move(*rec);
    auto r = xdr::rpc::decode_reply(keep);
    if (!r || r->stat != xdr::rpc::reply_stat::accepted || r->accepted != xdr::rpc::accept_stat::success)
      throw std::runtime_error("call not accepted");
    auto res = xdr::decode<R>(r->results);
    if (!res) throw std::runtime_error("bad result: " + xdr::describe(res.error()));
    return *res;
  }

  /// True when the server has closed the connection (reads EOF within the timeout).
  bool closed_by_peer();
  int fd() const noexcept { return fd_; }

 private:
  std::optional<std::vector<xdr::byte>> read_record();

  int fd_ = -1;
  std::uint32_t program_;
  std::uint32_t version_;
  std::uint32_t next_xid_ = 1;
  std::vector<xdr::byte> inbuf_;
  std::map<std::uint32_t, std::vector<xdr::byte>> early_;
};

}  // namespace ferry::transport
