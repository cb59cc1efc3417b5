// Sockets, record-marked stream I/O and byte diffs for the interop tests.
// Failures come back as values or empty results: the tests decide what is fatal.
#include "wire_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace ferry::interop {

unique_fd& unique_fd::operator=(unique_fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

unique_fd::~unique_fd() { reset(); }

int unique_fd::release() noexcept {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void unique_fd::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string_view to_string(transport t) noexcept {
  switch (t) {
    case transport::loopback_tcp: return "loopback TCP";
    case transport::unix_socketpair: return "AF_UNIX socketpair";
  }
  return "unknown transport";
}

namespace {

// Socket setup failing means the machine cannot run the test at all: a programmer-visible error.
[[noreturn]] void setup_failed(const char* what) {
  throw std::runtime_error(std::string{what} + ": " + std::strerror(errno));
}

connected_sockets loopback_tcp_pair() {
  unique_fd listener{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (listener.get() < 0) setup_failed("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks a free port: tests never collide on a fixed one
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) setup_failed("bind");
  if (::listen(listener.get(), 1) != 0) setup_failed("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    setup_failed("getsockname");

  unique_fd client{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (client.get() < 0) setup_failed("socket");
  // A loopback connect to a listening socket completes from the backlog, before accept().
  if (::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) setup_failed("connect");
  unique_fd server{::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)};
  if (server.get() < 0) setup_failed("accept");
  return {std::move(client), std::move(server)};
}

connected_sockets unix_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) setup_failed("socketpair");
  return {unique_fd{fds[0]}, unique_fd{fds[1]}};
}

}  // namespace

connected_sockets connect_pair(transport t) {
  return t == transport::loopback_tcp ? loopback_tcp_pair() : unix_pair();
}

void ignore_sigpipe() { std::signal(SIGPIPE, SIG_IGN); }

bool write_all(int fd, bytes_view bytes) {
  while (!bytes.empty()) {
    auto n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

bool write_all(int fd, const std::vector<bytes_view>& segments) {
  return std::all_of(segments.begin(), segments.end(), [fd](bytes_view s) { return write_all(fd, s); });
}

std::optional<received_record> record_reader::next() {
  constexpr std::size_t read_chunk = 64 * 1024;
  for (;;) {
    auto scan = xdr::scan_record(buffer_, limits_);
    if (!scan) {
      error_ = "scan_record: " + xdr::describe(scan.error());
      return std::nullopt;
    }
    if (scan->complete()) {
      received_record r;
      auto end = buffer_.begin() + static_cast<std::ptrdiff_t>(scan->bytes);
      r.storage.assign(buffer_.begin(), end);
      buffer_.erase(buffer_.begin(), end);
      auto payload = xdr::record_payload(r.storage, *scan);
      r.payload_offset = static_cast<std::size_t>(payload.data() - r.storage.data());
      r.payload_size = payload.size();
      r.fragments = scan->fragments;
      return r;
    }
    // need_more: read at least up to the byte scan_record asked for; every read makes progress or ends.
    auto have = buffer_.size();
    auto want = std::max(scan->bytes - have, read_chunk);
    buffer_.resize(have + want);
    ssize_t n;
    do {
      n = ::read(fd_, buffer_.data() + have, want);
    } while (n < 0 && errno == EINTR);
    buffer_.resize(have + static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    if (n == 0) {
      error_ = have == 0 ? "end of stream" : "end of stream inside a record";
      return std::nullopt;
    }
    if (n < 0) {
      error_ = std::string{"read: "} + std::strerror(errno);
      return std::nullopt;
    }
  }
}

std::string hex(bytes_view bytes, std::size_t max) {
  std::string out;
  char cell[4];
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    std::snprintf(cell, sizeof cell, "%02x", bytes[i]);
    if (!out.empty()) out += ' ';
    out += cell;
  }
  if (bytes.size() > max) out += " ...";
  return out;
}

std::string byte_difference(bytes_view ours, bytes_view theirs) {
  auto mismatch = std::mismatch(ours.begin(), ours.end(), theirs.begin(), theirs.end());
  if (mismatch.first == ours.end() && mismatch.second == theirs.end()) return "";
  auto at = static_cast<std::size_t>(mismatch.first - ours.begin());
  auto from = at < 8 ? 0 : at - 8;  // a little context before the first difference
  auto window = [from](bytes_view b) { return hex(b.subspan(std::min(from, b.size())), 32); };
  return "ferry " + std::to_string(ours.size()) + " bytes, libtirpc " + std::to_string(theirs.size()) +
         " bytes; first difference at byte " + std::to_string(at) + "; from byte " + std::to_string(from) +
         ": ferry [" + window(ours) + "] libtirpc [" + window(theirs) + "]";
}

std::vector<byte> pattern(std::size_t size, byte seed) {
  std::vector<byte> out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<byte>(1 + (i * 131 + seed) % 251);
  return out;
}

}  // namespace ferry::interop
