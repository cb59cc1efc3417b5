// The multiplexed connection: calls are written under a short writer lock, and whichever caller waits
// first reads the socket for everyone (leader/follower), handing each reply to its waiter by xid.
#include "connection.hpp"

#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/record.hpp"
#include "xdr/rpc.hpp"

namespace ferry::clib {
namespace {

// A reply carries at most one value plus a small header.
constexpr xdr::record_limits reply_limits{proto::max_value + (64u << 10), 1024};
constexpr std::size_t read_chunk = 64u << 10;

}  // namespace

int millis_left(clock::time_point deadline) noexcept {
  auto now = clock::now();
  if (now >= deadline) return 0;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count();
  auto ms = (us + 999) / 1000;
  return ms > 0x7FFFFFFF ? 0x7FFFFFFF : static_cast<int>(ms);
}

outcome connection::open(const std::string& path, clock::time_point deadline,
                         std::shared_ptr<connection>& out) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) return {FERRY_E_CONNECT, ENAMETOOLONG};
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return {FERRY_E_CONNECT, errno};
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) break;
    int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN && clock::now() < deadline) {  // listen backlog full: AF_UNIX does not queue us
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    if (e == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int n = ::poll(&p, 1, millis_left(deadline));
      int soerr = n > 0 ? 0 : (n == 0 ? ETIMEDOUT : errno);
      socklen_t len = sizeof(soerr);
      if (n > 0 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) soerr = errno;
      if (soerr == 0) break;
      e = soerr;
    }
    ::close(fd);
    return {FERRY_E_CONNECT, e == EAGAIN ? ETIMEDOUT : e};
  }
  out.reset(new (std::nothrow) connection(fd));
  if (!out) {
    ::close(fd);
    return {FERRY_E_NOMEM, ENOMEM};
  }
  // Random first xid: a reply meant for an earlier connection's call can never match by accident.
  std::uint32_t seed = 0;
  if (::getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
    seed = static_cast<std::uint32_t>(clock::now().time_since_epoch().count()) ^ static_cast<std::uint32_t>(::getpid());
  out->next_xid_ = seed;
  return {};
}

connection::~connection() {
  if (fd_ >= 0) ::close(fd_);
}

void connection::abandon_in_child() noexcept {
  // The descriptor is shared with the parent: close our copy only. shutdown() would cut the parent off.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  broken_.store(FERRY_E_CLOSED, std::memory_order_release);
}

void connection::lock_for_fork() {
  write_mu_.lock();
  mu_.lock();
}

void connection::unlock_after_fork() {
  mu_.unlock();
  write_mu_.unlock();
}

std::uint32_t connection::enlist(waiter& w) {
  std::lock_guard lk(mu_);
  std::uint32_t xid = next_xid_++;
  while (table_.contains(xid)) xid = next_xid_++;
  table_.emplace(xid, &w);
  return xid;
}

void connection::withdraw(std::uint32_t xid) {
  std::lock_guard lk(mu_);
  table_.erase(xid);
  wake_next_leader_locked();
}

void connection::encode_header(xdr::encoder& out, std::uint32_t xid, std::uint32_t proc) {
  xdr::rpc::call_header h;
  h.xid = xid;
  h.prog = proto::client::program;
  h.vers = proto::client::version;
  h.proc = proc;
  xdr::rpc::encode_call(out, h);
}

void connection::fail(int code, int sys_errno) {
  std::lock_guard lk(mu_);
  fail_locked(code, sys_errno);
}

void connection::fail_locked(int code, int sys_errno) {
  if (broken_.load(std::memory_order_relaxed) != 0) return;
  broken_errno_ = sys_errno;
  broken_.store(code, std::memory_order_release);
  ::shutdown(fd_, SHUT_RDWR);  // wakes a leader blocked in poll()
  for (auto it = table_.begin(); it != table_.end();) {
    waiter* w = it->second;
    if (w->sink == nullptr) {
      w->cv.notify_one();  // a sync caller leaves the table itself
      ++it;
      continue;
    }
    it = table_.erase(it);  // an async call completes here, once: it is no longer in the table
    w->sink->completed(*w, {code, sys_errno});
  }
}

bool connection::cancel(std::uint32_t xid, waiter& w, outcome o) {
  std::lock_guard lk(mu_);
  auto it = table_.find(xid);
  if (it == table_.end() || it->second != &w) return false;
  table_.erase(it);
  w.sink->completed(w, o);
  wake_next_leader_locked();
  return true;
}

void connection::read_ready() {
  std::unique_lock lk(mu_);
  if (reading_ || broken_.load(std::memory_order_relaxed) != 0) return;
  reading_ = true;
  lk.unlock();
  outcome step;
  // Bounded: a peer streaming without pause leaves the descriptor readable and we come back.
  for (int round = 0; round < 64; ++round) {
    step = read_and_dispatch(clock::now());
    if (step.code != 0) break;
  }
  lk.lock();
  reading_ = false;
  if (step.code != 0 && step.code != FERRY_TIMEDOUT) fail_locked(step.code, step.sys_errno);
  wake_next_leader_locked();
}

outcome connection::send(const xdr::encoder& out, std::uint32_t xid, clock::time_point deadline, int pass_fd) {
  auto views = out.views();
  std::vector<iovec> iov;
  iov.reserve(views.size());
  for (auto v : views) iov.push_back({const_cast<xdr::byte*>(v.data()), v.size()});
  std::size_t first = 0;
  std::size_t sent = 0;
  std::lock_guard wl(write_mu_);
  while (first < iov.size()) {
    if (int b = broken_.load(std::memory_order_acquire); b != 0) {
      withdraw(xid);
      return {b, 0};
    }
    msghdr msg{};
    msg.msg_iov = iov.data() + first;
    msg.msg_iovlen = std::min<std::size_t>(iov.size() - first, IOV_MAX);
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (pass_fd >= 0 && sent == 0) {  // the descriptor rides on the record's first bytes
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &pass_fd, sizeof pass_fd);
    }
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      int e = errno;
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK) {
        pollfd p{fd_, POLLOUT, 0};
        int r = ::poll(&p, 1, millis_left(deadline));
        if (r > 0 || (r < 0 && errno == EINTR)) continue;
        if (sent != 0) fail(FERRY_E_CLOSED, ETIMEDOUT);  // half a record on the wire: the stream is lost
        withdraw(xid);
        return {FERRY_TIMEDOUT, 0};
      }
      fail(FERRY_E_CLOSED, e);
      withdraw(xid);
      return {FERRY_E_CLOSED, e};
    }
    sent += static_cast<std::size_t>(n);
    auto left = static_cast<std::size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (left != 0) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return {};
}

shm_region* connection::shared_region(clock::time_point deadline) {
  if (auto* r = shm_ready_.load(std::memory_order_acquire)) return r->usable_here() ? r : nullptr;
  const auto& settings = shm_settings::get();
  if (settings.region_bytes == 0) return nullptr;
  std::lock_guard lk(shm_mu_);
  if (shm_tried_) return shm_ready_.load(std::memory_order_acquire);
  shm_tried_ = true;
  auto region = shm_region::create(settings.region_bytes, settings.max_slots);
  if (!region) return nullptr;
  proto::client::shm_attach_args args{region->size()};
  std::vector<xdr::byte> reply;
  auto encode = [&](xdr::encoder& e) { return static_cast<bool>(xdr::encode(e, args)); };
  auto got = round_trip(static_cast<std::uint32_t>(proto::client::shm_proc::attach), encode, deadline, reply,
                        region->fd());
  region->close_fd();  // ferryd has its own descriptor (or none): the mapping keeps the file here
  if (got.code != 0) return nullptr;
  auto rpc = xdr::rpc::decode_reply(reply);
  if (!rpc || rpc->stat != xdr::rpc::reply_stat::accepted || rpc->accepted != xdr::rpc::accept_stat::success)
    return nullptr;  // an older ferryd: PROC_UNAVAIL
  auto res = xdr::decode<proto::reply>(rpc->results);
  if (!res || res->code != proto::status::ok) return nullptr;  // refused: the socket path it is
  shm_ = std::move(region);
  shm_ready_.store(shm_.get(), std::memory_order_release);
  return shm_.get();
}

void connection::wake_next_leader_locked() {
  if (reading_) return;
  for (auto& [xid, w] : table_) {
    if (!w->done && w->sink == nullptr) {  // async calls have no thread to take over
      w->cv.notify_one();
      return;
    }
  }
}

outcome connection::await(waiter& w, std::uint32_t xid, clock::time_point deadline) {
  std::unique_lock lk(mu_);
  outcome result;
  for (;;) {
    if (w.done) break;
    if (int b = broken_.load(std::memory_order_relaxed); b != 0) {
      table_.erase(xid);
      result = {b, broken_errno_};
      break;
    }
    if (!reading_) {
      reading_ = true;
      lk.unlock();
      auto step = read_and_dispatch(deadline);
      lk.lock();
      reading_ = false;
      if (step.code == FERRY_TIMEDOUT && !w.done) {
        table_.erase(xid);
        result = step;
        break;
      }
      if (step.code != 0 && step.code != FERRY_TIMEDOUT) fail_locked(step.code, step.sys_errno);
      continue;
    }
    if (w.cv.wait_until(lk, deadline) == std::cv_status::timeout && !w.done &&
        broken_.load(std::memory_order_relaxed) == 0) {
      table_.erase(xid);  // a reply arriving later finds no waiter and is dropped
      result = {FERRY_TIMEDOUT, 0};
      break;
    }
  }
  wake_next_leader_locked();
  return result;
}

outcome connection::read_and_dispatch(clock::time_point deadline) {
  pollfd p{fd_, POLLIN, 0};
  int n = ::poll(&p, 1, millis_left(deadline));
  if (n == 0) return {FERRY_TIMEDOUT, 0};
  if (n < 0) return errno == EINTR ? outcome{} : outcome{FERRY_E_CLOSED, errno};
  if (inbuf_.size() < inbuf_used_ + read_chunk) inbuf_.resize(inbuf_used_ + read_chunk);
  ssize_t r = ::recv(fd_, inbuf_.data() + inbuf_used_, inbuf_.size() - inbuf_used_, MSG_DONTWAIT);
  if (r == 0) return {FERRY_E_CLOSED, ECONNRESET};
  if (r < 0) {
    int e = errno;
    return (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) ? outcome{} : outcome{FERRY_E_CLOSED, e};
  }
  inbuf_used_ += static_cast<std::size_t>(r);
  std::size_t start = 0;
  while (start < inbuf_used_) {
    xdr::mutable_bytes rest{inbuf_.data() + start, inbuf_used_ - start};
    auto scan = xdr::scan_record(rest, reply_limits);
    if (!scan) return {FERRY_E_PROTOCOL, EPROTO};
    if (!scan->complete()) {
      if (scan->bytes > inbuf_.size() - start) inbuf_.resize(start + scan->bytes);
      break;
    }
    auto record = xdr::record_payload(rest, *scan);
    auto head = xdr::rpc::decode_head(record);
    if (!head || head->type != xdr::rpc::msg_type::reply) return {FERRY_E_PROTOCOL, EPROTO};
    {
      std::lock_guard lk(mu_);
      if (auto it = table_.find(head->xid); it != table_.end()) {
        waiter* w = it->second;
        w->reply.assign(record.begin(), record.end());
        w->done = true;
        table_.erase(it);
        if (w->sink != nullptr) w->sink->completed(*w, {});
        else w->cv.notify_one();
      }  // else: the caller gave up (deadline); its late reply is dropped
    }
    start += scan->bytes;
  }
  if (start != 0) {
    std::memmove(inbuf_.data(), inbuf_.data() + start, inbuf_used_ - start);
    inbuf_used_ -= start;
  }
  if (inbuf_used_ == 0 && inbuf_.capacity() > (1u << 20)) std::vector<xdr::byte>().swap(inbuf_);
  return {};
}

}  // namespace ferry::clib
