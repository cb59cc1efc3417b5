// Plain-socket plumbing the benchmark load generators share: connect over TCP loopback or a UNIX socket
// (a 10 s receive timeout so a stalled peer fails the run instead of hanging it), gather-send an encoded
// record, read reply records back by xid with the first failure kept for the report, and percentiles.
#pragma once

#include <algorithm>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "xdr/codec.hpp"
#include "xdr/protocol/common.hpp"
#include "xdr/record.hpp"
#include "xdr/rpc.hpp"

namespace ferry::bench {

inline void set_receive_timeout(int fd) {
  timeval tv{10, 0};  // a stalled peer fails the connection instead of hanging the run
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

inline int connect_tcp(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  set_receive_timeout(fd);
  return fd;
}

inline int connect_unix(const std::string& path) {
  sockaddr_un sa{};
  if (path.size() >= sizeof sa.sun_path) return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sa.sun_family = AF_UNIX;
  std::copy(path.begin(), path.end(), sa.sun_path);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  set_receive_timeout(fd);
  return fd;
}

inline bool write_all(int fd, const xdr::encoder& e) {
  for (auto v : e.views()) {
    std::size_t done = 0;
    while (done < v.size()) {
      auto n = ::send(fd, v.data() + done, v.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
  }
  return true;
}

// Reads reply records off one socket; keeps the first failure's status for the report.
struct reader {
  explicit reader(int socket_fd) : fd(socket_fd) {}
  int fd;
  std::vector<xdr::byte> buf = std::vector<xdr::byte>(1 << 16);
  std::size_t start = 0, filled = 0;
  std::string first_error;

  // The next reply decoded; its views are valid until the next call.
  std::optional<xdr::rpc::reply> next_reply() {
    for (;;) {
      auto scan = xdr::scan_record(xdr::bytes_view{buf.data() + start, filled - start});
      if (!scan) return std::nullopt;
      if (scan->complete()) {
        auto payload = xdr::record_payload(xdr::mutable_bytes{buf.data() + start, scan->bytes}, *scan);
        start += scan->bytes;
        auto r = xdr::rpc::decode_reply(payload);
        if (!r) return std::nullopt;
        return *r;
      }
      if (start > 0) {
        std::copy(buf.begin() + static_cast<std::ptrdiff_t>(start), buf.begin() + static_cast<std::ptrdiff_t>(filled),
                  buf.begin());
        filled -= start;
        start = 0;
      }
      if (buf.size() < scan->bytes) buf.resize(scan->bytes);
      auto n = ::recv(fd, buf.data() + filled, buf.size() - filled, 0);
      if (n <= 0) return std::nullopt;
      filled += static_cast<std::size_t>(n);
    }
  }

  // The next reply's xid and whether it was accepted with ferry status OK (every result starts with it).
  std::optional<std::pair<std::uint32_t, bool>> next() {
    auto r = next_reply();
    if (!r) return std::nullopt;
    bool accepted = r->stat == xdr::rpc::reply_stat::accepted && r->accepted == xdr::rpc::accept_stat::success;
    auto res = accepted ? xdr::decode<proto::reply>(r->results.first(std::min<std::size_t>(r->results.size(), 4)))
                        : xdr::result<proto::reply>(xdr::codec_error{xdr::errc::truncated, 0});
    bool ok = accepted && res && res->code == proto::status::ok;
    if (!ok && first_error.empty())
      first_error = r->stat != xdr::rpc::reply_stat::accepted ? std::string("MSG_DENIED")
                    : !accepted ? std::string(xdr::rpc::to_string(r->accepted))
                    : res       ? std::string(proto::to_string(res->code))
                                : std::string("undecodable");
    return std::pair{r->xid, ok};
  }
};

inline double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace ferry::bench
