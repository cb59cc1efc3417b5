// An AF_UNIX stream socket that keeps descriptors passed with SCM_RIGHTS instead of letting the kernel
// close them: transport::record_stream reads it through `read_some`, which this type hides with a recvmsg
// taking the ancillary data. Only sessions need descriptors (FC_SHM_ATTACH), so the generic stream is
// untouched: it is instantiated with `fd_passing_protocol` instead of asio::local::stream_protocol.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>

#include <boost/asio/buffer.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "actors/session/shm_region.hpp"

namespace ferry::actors {

class fd_passing_socket : public boost::asio::local::stream_protocol::socket {
 public:
  using base = boost::asio::local::stream_protocol::socket;
  /// Descriptors kept before the session takes one; more are closed on arrival (a hostile client may
  /// send any number, with any call).
  static constexpr std::size_t max_pending = 2;

  explicit fd_passing_socket(base&& s) : base(std::move(s)) {}
  fd_passing_socket(fd_passing_socket&&) = default;
  fd_passing_socket& operator=(fd_passing_socket&&) = default;

  /// What record_stream calls: one non-blocking recvmsg into the first buffer, descriptors kept. The
  /// kernel ends a read after the bytes that carried descriptors, so they are here by the time the record
  /// they came with is complete.
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    boost::asio::mutable_buffer b = *boost::asio::buffer_sequence_begin(buffers);
    iovec iov{b.data(), b.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
      n = ::recvmsg(native_handle(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      ec = boost::system::error_code(errno, boost::asio::error::get_system_category());
      if (errno == EAGAIN) ec = boost::asio::error::would_block;
      return 0;
    }
    keep_descriptors(msg);
    if (n == 0) {
      ec = boost::asio::error::eof;
      return 0;
    }
    ec = {};
    return static_cast<std::size_t>(n);
  }

  bool has_descriptor() const noexcept { return !pending_.empty(); }
  /// The oldest descriptor received and not taken yet.
  std::optional<session::shm::owned_fd> take_descriptor() {
    if (pending_.empty()) return std::nullopt;
    auto fd = std::move(pending_.front());
    pending_.pop_front();
    return fd;
  }

 private:
  void keep_descriptors(msghdr& msg) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        session::shm::owned_fd owned(fd);
        if (pending_.size() < max_pending) pending_.push_back(std::move(owned));
      }
    }
  }

  std::deque<session::shm::owned_fd> pending_;
};

/// The Protocol argument for record_stream / io_core: a UNIX stream whose socket keeps passed descriptors.
struct fd_passing_protocol {
  using socket = fd_passing_socket;
};

}  // namespace ferry::actors
