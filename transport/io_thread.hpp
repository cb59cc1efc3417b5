// One Asio io_context run by one dedicated thread, shared by the transport objects of many owners.
// Create it before the objects that use it and destroy it after them (the daemon: before the actor system).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <thread>

namespace ferry::transport {

class io_thread {
 public:
  io_thread() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~io_thread() { stop(); }
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;

  boost::asio::io_context& context() noexcept { return io_; }

  /// Runs the handlers already queued (the closes posted by owners that went away), then stops the
  /// loop and joins the thread. Handlers queued later are destroyed with the io_context, releasing
  /// what they hold (sockets close). Idempotent; never call it from the io thread.
  void stop() {
    if (!thread_.joinable()) return;
    work_.reset();
    boost::asio::post(io_, [this] { io_.stop(); });
    thread_.join();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace ferry::transport
