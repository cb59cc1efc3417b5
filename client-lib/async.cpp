// Async completions: the connection hands a finished call to the handle's async_state, which queues it,
// makes ferry_fd() readable through an eventfd, and keeps a timerfd armed for the earliest deadline.
#include "async.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace ferry::clib {
namespace {

void watch(int epoll_fd, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  (void)::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

void signal_event(int event_fd) {
  if (event_fd < 0) return;
  std::uint64_t one = 1;
  (void)!::write(event_fd, &one, sizeof(one));
}

void drain(int fd) {
  if (fd < 0) return;
  std::uint64_t n = 0;
  (void)!::read(fd, &n, sizeof(n));
}

/// Replaces `fd` (shared with the parent after fork) by `fresh` under the same number.
void replace_fd(int fd, int fresh) noexcept {
  if (fd < 0) return;
  if (fresh < 0) {
    ::close(fd);
    return;
  }
  ::dup3(fresh, fd, O_CLOEXEC);
  ::close(fresh);
}

}  // namespace

async_state::~async_state() {
  for (int fd : {epoll_fd_, event_fd_, timer_fd_})
    if (fd >= 0) ::close(fd);
}

outcome async_state::ready_fd(int& fd) {
  std::lock_guard lk(mu_);
  if (epoll_fd_ < 0) {
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    int ev = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    int tm = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (ep < 0 || ev < 0 || tm < 0) {
      int e = errno;
      for (int x : {ep, ev, tm})
        if (x >= 0) ::close(x);
      return {FERRY_E_NOMEM, e};
    }
    epoll_fd_ = ep;
    event_fd_ = ev;
    timer_fd_ = tm;
    watch(epoll_fd_, event_fd_);
    watch(epoll_fd_, timer_fd_);
    if (socket_fd_ >= 0) watch(epoll_fd_, socket_fd_);
    if (!completed_.empty()) signal_event(event_fd_);
    rearm_timer_locked();
  }
  fd = epoll_fd_;
  return {};
}

void async_state::watch_socket(int fd) {
  std::lock_guard lk(mu_);
  // Always re-add: a new connection may reuse the number of the old one, already closed.
  if (epoll_fd_ >= 0 && socket_fd_ >= 0) (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, socket_fd_, nullptr);
  socket_fd_ = fd;
  if (epoll_fd_ >= 0 && fd >= 0) watch(epoll_fd_, fd);
}

void async_state::unwatch_socket() {
  std::lock_guard lk(mu_);
  // A broken socket stays readable (EOF) forever: keeping it would make ferry_fd() spin.
  if (epoll_fd_ >= 0 && socket_fd_ >= 0) (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, socket_fd_, nullptr);
  socket_fd_ = -1;
}

void async_state::add_pending(std::shared_ptr<async_call> c) {
  std::lock_guard lk(mu_);
  auto* key = c.get();
  pending_.emplace(key, std::move(c));
}

void async_state::mark_sent(async_call* c, std::uint32_t xid) {
  std::lock_guard lk(mu_);
  if (!pending_.contains(c)) return;  // completed already (the connection broke at once)
  c->xid = xid;
  c->sent = true;
  // Only an earlier deadline moves the timer: no scan of every pending call per submit.
  if (!armed_ || c->deadline < armed_at_) arm_locked(c->deadline);
}

bool async_state::drop_if_pending(async_call* c) {
  std::lock_guard lk(mu_);
  return pending_.erase(c) != 0;
}

void async_state::expire(clock::time_point now) {
  std::vector<std::shared_ptr<async_call>> due;
  {
    std::lock_guard lk(mu_);
    for (auto& [p, c] : pending_)
      if (c->sent && c->deadline <= now) due.push_back(c);
  }
  // Outside our lock: cancel takes the connection's table lock, which comes first in the lock order.
  for (auto& c : due) (void)c->conn->cancel(c->xid, *c, {FERRY_TIMEDOUT, 0});
  std::lock_guard lk(mu_);
  rearm_timer_locked();
}

std::vector<std::shared_ptr<async_call>> async_state::take_completed() {
  std::lock_guard lk(mu_);
  std::vector<std::shared_ptr<async_call>> out;
  out.swap(completed_);
  drain(event_fd_);
  return out;
}

void async_state::completed(waiter& w, outcome o) noexcept {
  auto* c = static_cast<async_call*>(&w);
  std::lock_guard lk(mu_);
  auto it = pending_.find(c);
  if (it == pending_.end()) return;  // unreachable: a call leaves the table once
  c->result = o;
  try {
    completed_.push_back(std::move(it->second));
  } catch (...) {
    // Out of memory for the queue: nothing sensible remains; the call is lost rather than run twice.
    pending_.erase(it);
    return;
  }
  pending_.erase(it);
  if (completed_.size() == 1) signal_event(event_fd_);
}

void async_state::reset_in_child() noexcept {
  std::lock_guard lk(mu_);
  pending_.clear();
  completed_.clear();
  if (epoll_fd_ >= 0) {
    replace_fd(epoll_fd_, ::epoll_create1(EPOLL_CLOEXEC));
    replace_fd(event_fd_, ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    replace_fd(timer_fd_, ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    watch(epoll_fd_, event_fd_);
    watch(epoll_fd_, timer_fd_);
  }
  socket_fd_ = -1;
  armed_ = false;
}

void async_state::rearm_timer_locked() noexcept {
  bool any = false;
  clock::time_point first{};
  for (auto& [p, c] : pending_) {
    if (!c->sent) continue;
    if (!any || c->deadline < first) first = c->deadline;
    any = true;
  }
  if (any) {
    arm_locked(first);
    return;
  }
  armed_ = false;
  itimerspec off{};  // all zero: disarmed (and setting it clears a past expiry)
  if (timer_fd_ >= 0) (void)::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &off, nullptr);
}

void async_state::arm_locked(clock::time_point at) noexcept {
  armed_ = true;
  armed_at_ = at;
  if (timer_fd_ < 0) return;
  // steady_clock is CLOCK_MONOTONIC on Linux: its time_since_epoch is the timerfd's absolute time.
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
  if (ns <= 0) ns = 1;  // zero would disarm
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<std::time_t>(ns / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  (void)::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

}  // namespace ferry::clib
