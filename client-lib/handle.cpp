// Handles, their fork registry and the pthread_atfork handlers: before fork() every handle's locks are
// taken so the child inherits none held; the child drops the parent's connections and reconnects lazily.
#include "handle.hpp"

#include <pthread.h>
#include <unistd.h>

namespace ferry::clib {
namespace {

// A plain pthread mutex: constant-initialised, never destroyed, usable from the fork handlers.
pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
::ferry_handle* registry_head = nullptr;
pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

// Lock order: registry -> handle.mu -> connection write lock -> connection table lock.
void before_fork() {
  pthread_mutex_lock(&registry_mu);
  for (auto* h = registry_head; h != nullptr; h = h->next) {
    h->mu.lock();
    if (h->conn) h->conn->lock_for_fork();
    h->async.lock_for_fork();
  }
}

void after_fork_parent() {
  for (auto* h = registry_head; h != nullptr; h = h->next) {
    h->async.unlock_after_fork();
    if (h->conn) h->conn->unlock_after_fork();
    h->mu.unlock();
  }
  pthread_mutex_unlock(&registry_mu);
}

void after_fork_child() {
  for (auto* h = registry_head; h != nullptr; h = h->next) {
    h->async.unlock_after_fork();  // its calls and descriptors are the parent's: adopt_process_locked
    if (h->conn) {
      h->conn->unlock_after_fork();
      // Waiters of the parent's threads may still be listed in it; those threads do not exist here.
      h->conn->abandon_in_child();
    }
    h->mu.unlock();
  }
  pthread_mutex_unlock(&registry_mu);
}

void install_atfork() { pthread_atfork(before_fork, after_fork_parent, after_fork_child); }

}  // namespace

void register_handle(::ferry_handle* h) {
  pthread_once(&atfork_once, install_atfork);
  pthread_mutex_lock(&registry_mu);
  h->next = registry_head;
  if (registry_head != nullptr) registry_head->prev = h;
  registry_head = h;
  pthread_mutex_unlock(&registry_mu);
}

void unregister_handle(::ferry_handle* h) {
  pthread_mutex_lock(&registry_mu);
  if (h->prev != nullptr) h->prev->next = h->next;
  else registry_head = h->next;
  if (h->next != nullptr) h->next->prev = h->prev;
  h->prev = h->next = nullptr;
  pthread_mutex_unlock(&registry_mu);
}

void adopt_process_locked(::ferry_handle* h) {
  pid_t self = ::getpid();
  if (h->pid == self) return;
  // Forked: never touch the parent's socket (already closed in after_fork_child), nor its async calls.
  h->async.reset_in_child();
  h->conn.reset();
  h->pid = self;
}

outcome current_connection(::ferry_handle* h, clock::time_point deadline, std::shared_ptr<connection>& out) {
  std::lock_guard lk(h->mu);
  adopt_process_locked(h);
  if (!h->conn || h->conn->broken()) {
    h->conn.reset();
    if (auto opened = connection::open(h->path, deadline, h->conn); opened.code != 0) {
      h->async.unwatch_socket();
      return opened;
    }
    h->async.watch_socket(h->conn->fd());
  }
  out = h->conn;
  return {};
}

}  // namespace ferry::clib
