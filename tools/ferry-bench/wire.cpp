// Plain POSIX sockets; loopback only by construction of the targets bench/run passes.
#include "wire.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <climits>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "xdr/record.hpp"

namespace ferry::bench {

bool parse_target(const std::string& text, target& out) {
  out = {};
  out.text = text;
  if (text.starts_with("unix:")) {
    out.is_unix = true;
    out.path = text.substr(5);
    return !out.path.empty() && out.path.size() < sizeof(sockaddr_un{}.sun_path);
  }
  if (!text.starts_with("tcp:")) return false;
  auto rest = text.substr(4);
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return false;
  out.host = rest.substr(0, colon);
  in_addr a{};
  if (inet_pton(AF_INET, out.host.c_str(), &a) != 1) return false;
  try {
    auto port = std::stoul(rest.substr(colon + 1));
    if (port == 0 || port > 65535) return false;
    out.port = static_cast<std::uint16_t>(port);
  } catch (...) {
    return false;
  }
  return true;
}

int connect_to(const target& t) {
  int fd = -1;
  if (t.is_unix) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, t.path.data(), std::min(t.path.size(), sizeof sa.sun_path - 1));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    return fd;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(t.port);
  inet_pton(AF_INET, t.host.c_str(), &sa.sin_addr);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const xdr::encoder& e) {
  auto views = e.views();
  std::vector<iovec> iov;
  iov.reserve(views.size());
  for (auto v : views)
    if (!v.empty()) iov.push_back({const_cast<xdr::byte*>(v.data()), v.size()});
  std::size_t first = 0;
  while (first < iov.size()) {
    msghdr m{};
    m.msg_iov = iov.data() + first;
    m.msg_iovlen = std::min<std::size_t>(iov.size() - first, IOV_MAX);
    auto n = sendmsg(fd, &m, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    auto left = static_cast<std::size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (left > 0) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return true;
}

record_reader::status record_reader::fill(int fd) {
  if (start_ > 0 && start_ == filled_) start_ = filled_ = 0;
  if (start_ > 0 && (filled_ == buf_.size() || want_ > buf_.size() - start_)) {
    std::copy(buf_.begin() + static_cast<std::ptrdiff_t>(start_), buf_.begin() + static_cast<std::ptrdiff_t>(filled_),
              buf_.begin());
    filled_ -= start_;
    start_ = 0;
  }
  if (want_ > buf_.size()) buf_.resize(want_);
  if (filled_ == buf_.size()) buf_.resize(buf_.size() * 2);
  for (;;) {
    auto n = ::recv(fd, buf_.data() + filled_, buf_.size() - filled_, MSG_DONTWAIT);
    if (n > 0) {
      filled_ += static_cast<std::size_t>(n);
      return status::ok;
    }
    if (n == 0) return status::closed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return status::ok;
    error = std::strerror(errno);
    return status::error;
  }
}

std::optional<xdr::bytes_view> record_reader::next() {
  auto scan = xdr::scan_record(xdr::bytes_view{buf_.data() + start_, filled_ - start_});
  if (!scan) {
    error = "bad record mark in a reply";
    return std::nullopt;
  }
  if (!scan->complete()) {
    want_ = scan->bytes;
    return std::nullopt;
  }
  want_ = 0;
  auto payload = xdr::record_payload(xdr::mutable_bytes{buf_.data() + start_, scan->bytes}, *scan);
  start_ += scan->bytes;
  return payload;
}

}  // namespace ferry::bench
