// rpc_client: blocking loopback socket with a receive timeout, record scanning with ferry's codec.
#include "transport/rpc_client.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace ferry::transport {

rpc_client::rpc_client(const std::string& host, std::uint16_t port, std::uint32_t program, std::uint32_t version)
    : program_(program), version_(version) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    close(fd_);
    throw std::runtime_error("'" + host + "' is not an IPv4 address");
  }
  if (connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    auto why = std::string(std::strerror(errno));
    close(fd_);
    throw std::runtime_error("cannot connect to " + host + ":" + std::to_string(port) + ": " + why);
  }
  timeval tv{20, 0};  // a bound so a broken server fails the test instead of hanging it
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

rpc_client::~rpc_client() {
  if (fd_ >= 0) close(fd_);
}

std::uint32_t rpc_client::send_void(std::uint32_t proc) {
  xdr::encoder e;
  e.begin_record();
  xdr::rpc::encode_call(e, {next_xid_, program_, version_, proc, {}, {}});
  e.end_record();
  write_all(e.flatten());
  return next_xid_++;
}

void rpc_client::write_all(const std::vector<xdr::byte>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send failed");
    done += static_cast<std::size_t>(n);
  }
}

std::optional<std::vector<xdr::byte>> rpc_client::read_record() {
  for (;;) {
    auto scan = xdr::scan_record(inbuf_);
    if (!scan) return std::nullopt;
    if (scan->complete()) {
      auto payload = xdr::record_payload(inbuf_, *scan);
      std::vector<xdr::byte> out(payload.begin(), payload.end());
      inbuf_.erase(inbuf_.begin(), inbuf_.begin() + static_cast<std::ptrdiff_t>(scan->bytes));
      return out;
    }
    xdr::byte buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    inbuf_.insert(inbuf_.end(), buf, buf + n);
  }
}

std::optional<std::vector<xdr::byte>> rpc_client::reply_for(std::uint32_t xid) {
  if (auto it = early_.find(xid); it != early_.end()) {
    auto out = std::move(it->second);
    early_.erase(it);
    return out;
  }
  for (;;) {
    auto rec = read_record();
    if (!rec) return std::nullopt;
    auto head = xdr::rpc::decode_head(*rec);
    if (!head) return std::nullopt;
    if (head->xid == xid) return rec;
    early_.emplace(head->xid, std::move(*rec));
  }
}

std::optional<std::vector<xdr::byte>> rpc_client::next_reply() {
  if (!early_.empty()) {
    auto it = early_.begin();
    auto out = std::move(it->second);
    early_.erase(it);
    return out;
  }
  return read_record();
}

bool rpc_client::closed_by_peer() {
  xdr::byte b;
  auto n = ::recv(fd_, &b, 1, 0);
  return n == 0;
}

}  // namespace ferry::transport
