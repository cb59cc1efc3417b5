// The scripted peer: decodes each call with ferry's codec, answers from an in-memory map, and applies
// whatever the test scripted (reorder, hold, drop, garbage) before the reply goes out.
#include "scripted_peer.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/record.hpp"
#include "xdr/rpc.hpp"

namespace ferry::test {
namespace {

using bytes = std::vector<std::uint8_t>;
namespace pc = proto::client;

void send_all(int fd, const bytes& b) {
  std::size_t off = 0;
  while (off < b.size()) {
    ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

template <class Res>
bytes success_reply(std::uint32_t xid, const Res& res) {
  xdr::encoder e;
  e.begin_record();
  xdr::rpc::encode_success(e, xid);
  (void)xdr::encode(e, res);
  e.end_record();
  return e.flatten();
}

std::string text(xdr::bytes_view b) { return std::string(xdr::as_chars(b)); }

}  // namespace

temp_dir::temp_dir() {
  char tmpl[] = "/tmp/ferry-clib-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  path = tmpl;
}
temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

scripted_peer::scripted_peer(std::string path) : path_(std::move(path)) {
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("scripted_peer: cannot listen on " + path_);
  acceptor_ = std::thread([this] { accept_loop(); });
}

scripted_peer::~scripted_peer() {
  stop_ = true;
  acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lk(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  ::close(listen_fd_);
  ::unlink(path_.c_str());
}

void scripted_peer::hold(std::string key) {
  std::lock_guard lk(mu_);
  held_keys_.insert(std::move(key));
}

void scripted_peer::send_garbage(garbage g) {
  std::lock_guard lk(mu_);
  garbage_kind_ = static_cast<int>(g);
}

void scripted_peer::close_all() {
  std::lock_guard lk(mu_);
  for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
}

std::size_t scripted_peer::open_uploads() {
  std::lock_guard lk(mu_);
  return uploads_.size();
}

std::vector<pid_t> scripted_peer::peer_pids() {
  std::lock_guard lk(mu_);
  return pids_;
}

std::vector<seen_call> scripted_peer::calls() {
  std::lock_guard lk(mu_);
  return calls_;
}

void scripted_peer::fail_next(proto::status code, std::string detail) {
  std::lock_guard lk(mu_);
  fail_next_.emplace(code, std::move(detail));
}

std::vector<std::vector<std::uint8_t>> scripted_peer::list_args() {
  std::lock_guard lk(mu_);
  return list_args_;
}

std::string scripted_peer::stored(const std::string& key) {
  std::lock_guard lk(mu_);
  auto it = store_.find(key);
  return it == store_.end() ? std::string{} : it->second;
}

void scripted_peer::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ucred cred{};
    socklen_t len = sizeof(cred);
    ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
    std::lock_guard lk(mu_);
    pids_.push_back(cred.pid);
    fds_.insert(fd);
    ++connections_;
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void scripted_peer::serve(int fd) {
  using clk = std::chrono::steady_clock;
  bytes in;
  std::vector<std::pair<std::uint32_t, bytes>> batch;  // (xid, reply) in arrival order
  clk::time_point batch_start{};
  auto send_reply = [&](const bytes& reply) {
    if (release_.exchange(false)) {
      std::vector<bytes> held;
      {
        std::lock_guard lk(mu_);
        held.swap(held_replies_);
      }
      for (auto& h : held) {
        send_all(fd, h);
        ++held_sent_;
      }
    }
    send_all(fd, reply);
  };
  auto flush = [&] {
    if (batch.size() > 1) ++out_of_order_;
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) send_reply(it->second);
    batch.clear();
  };
  bool open = true;
  while (open && !stop_) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, batch.empty() ? 20 : 2);
    if (n > 0) {
      std::uint8_t buf[65536];
      ssize_t r = ::recv(fd, buf, sizeof(buf), 0);
      if (r <= 0) break;
      in.insert(in.end(), buf, buf + r);
    }
    for (;;) {
      auto scan = xdr::scan_record(in);
      if (!scan) {
        open = false;
        break;
      }
      if (!scan->complete()) break;
      bytes record(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(scan->bytes));
      in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(scan->bytes));
      auto payload = xdr::record_payload(record, *scan);
      auto call = xdr::rpc::decode_call(payload);
      if (!call) {
        open = false;
        break;
      }
      std::uint32_t xid = call->header.xid;
      if (call->header.proc > pc::max_proc) {
        // The shared-memory procedures (issue 12): this peer plays a ferryd without them, as an older one is,
        // and answers at once, outside any batching or scripted fault, so libferry stays on the socket.
        xdr::encoder e;
        e.begin_record();
        xdr::rpc::encode_accepted_error(e, xid, xdr::rpc::accept_stat::proc_unavail);
        e.end_record();
        send_reply(e.flatten());
        continue;
      }
      if (drops_ > 0) {
        --drops_;
        std::lock_guard lk(mu_);  // record the call (its id matters to retry tests), then vanish
        (void)answer(xid, call->header.proc, call->args);
        open = false;
        break;
      }
      int kind = -1;
      {
        std::lock_guard lk(mu_);
        std::swap(kind, garbage_kind_);
      }
      if (kind >= 0) {
        bytes junk;
        if (kind == static_cast<int>(garbage::short_record)) junk = {0x80, 0, 0, 3, 0xde, 0xad, 0xbe};
        if (kind == static_cast<int>(garbage::huge_mark)) junk = {0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4};
        if (kind == static_cast<int>(garbage::bad_results)) {
          xdr::encoder e;
          e.begin_record();
          xdr::rpc::encode_success(e, xid);
          e.u32(0xFFFFFFFFu);  // no such ferry_status
          e.end_record();
          junk = e.flatten();
        }
        if (kind == static_cast<int>(garbage::list_truncated)) {
          xdr::encoder e;
          e.begin_record();
          xdr::rpc::encode_success(e, xid);
          e.u32(0);  // OK
          e.u32(3);  // three entries announced ...
          (void)xdr::encode(e, proto::list_entry{xdr::as_bytes(std::string_view{"k1"}), {}});
          e.end_record();  // ... one sent, and no cursor nor more flag
          junk = e.flatten();
        }
        send_reply(junk);
        continue;
      }
      bytes reply;
      bool held = false;
      {
        std::lock_guard lk(mu_);
        reply = answer(xid, call->header.proc, call->args);
        if (!calls_.empty() && held_keys_.contains(calls_.back().key)) {
          held_replies_.push_back(reply);
          held = true;
        }
      }
      if (held) continue;
      if (!reorder_ && reverse_batch_ == 0) {
        send_reply(reply);
        continue;
      }
      if (batch.empty()) batch_start = clk::now();
      batch.emplace_back(xid, std::move(reply));
    }
    if (std::size_t gather = reverse_batch_; gather != 0) {
      if (batch.size() >= gather) flush();
    } else if (!batch.empty() &&
               (batch.size() >= 8 || clk::now() - batch_start > std::chrono::milliseconds(20))) {
      flush();
    }
  }
  {
    std::lock_guard lk(mu_);
    fds_.erase(fd);
  }
  ::close(fd);
}

// Called with mu_ held.
bytes scripted_peer::answer(std::uint32_t xid, std::uint32_t proc, std::span<const std::uint8_t> args) {
  auto info_of = [&](const std::string& v) {
    return proto::object_info{v.size(), proto::version{hlc_, 7}, 1'000'000'000ull * hlc_};
  };
  std::optional<std::pair<proto::status, std::string>> failure;
  failure.swap(fail_next_);
  // The scripted answer, unless fail_next() asked for an error reply instead.
  auto reply = [&](auto res) {
    if (failure) {
      res = decltype(res){};
      res.code = failure->first;
      res.detail = failure->second;
    }
    return success_reply(xid, res);
  };
  switch (static_cast<pc::proc>(proc)) {
    case pc::proc::put: {
      auto a = xdr::decode<pc::put_args>(args);
      if (!a) break;
      calls_.push_back({proc, text(a->key), a->id});
      proto::write_res res;
      auto key = text(a->key);
      if (a->value.size() > max_value_) {
        res.code = proto::status::too_big;
        res.detail = "value over the peer's limit";
      } else if ((a->flags & pc::put_if_absent) != 0 && store_.contains(key)) {
        res.code = proto::status::exists;
        res.detail = "exists";
      } else {
        store_[key] = text(a->value);
        res.ver = {++hlc_, 7};
      }
      return reply(res);
    }
    case pc::proc::get: {
      auto a = xdr::decode<pc::key_args>(args);
      if (!a) break;
      calls_.push_back({proc, text(a->key), {}});
      proto::get_res res;
      auto it = store_.find(text(a->key));
      if (it == store_.end()) {
        res.code = proto::status::not_found;
        return reply(res);
      }
      if (it->second.size() > proto::max_value) {  // as ferryd: a chunked object is read with READ
        res.code = proto::status::too_big;
        res.detail = "over one GET: use READ";
        return reply(res);
      }
      res.found.info = info_of(it->second);
      res.found.data = xdr::as_bytes(it->second);
      return reply(res);  // flattened before the lock is released
    }
    case pc::proc::del: {
      auto a = xdr::decode<pc::delete_args>(args);
      if (!a) break;
      calls_.push_back({proc, text(a->key), a->id});
      proto::write_res res;
      if (store_.erase(text(a->key)) == 0) {
        res.code = proto::status::not_found;
        res.detail = "no such key";
      } else {
        res.ver = {++hlc_, 7};
      }
      return reply(res);
    }
    case pc::proc::stat: {
      auto a = xdr::decode<pc::key_args>(args);
      if (!a) break;
      calls_.push_back({proc, text(a->key), {}});
      proto::stat_res res;
      auto it = store_.find(text(a->key));
      if (it == store_.end()) res.code = proto::status::not_found;
      else res.info = info_of(it->second);
      return reply(res);
    }
    case pc::proc::list: {
      list_args_.emplace_back(args.begin(), args.end());
      auto a = xdr::decode<pc::list_args>(args);
      if (!a) break;
      calls_.push_back({proc, text(a->prefix), {}});
      auto prefix = text(a->prefix);
      auto cursor = text(a->cursor);
      std::uint32_t size = list_page_size_;
      if (a->limit != 0 && a->limit < size) size = a->limit;
      auto in_range = [&](auto it) { return it != store_.end() && it->first.starts_with(prefix); };
      auto it = (!cursor.empty() && cursor >= prefix) ? store_.upper_bound(cursor) : store_.lower_bound(prefix);
      proto::list_res res;
      for (; in_range(it) && res.page.entries.size() < size; ++it)
        res.page.entries.push_back({xdr::as_bytes(it->first), info_of(it->second)});
      res.page.more = in_range(it);
      if (!res.page.entries.empty()) res.page.next_cursor = res.page.entries.back().key;
      return reply(std::move(res));  // views into store_, flattened before the lock is released
    }
    case pc::proc::write_open: {
      auto a = xdr::decode<pc::write_open_args>(args);
      if (!a) break;
      calls_.push_back({proc, text(a->key), a->id});
      proto::write_open_res res;
      if (failure) return reply(res);  // a refused open opens nothing
      std::uint64_t id = next_upload_++;
      uploads_[id].key = text(a->key);
      res.up = {id, chunk_size_};
      return reply(res);
    }
    case pc::proc::write_chunk: {
      auto a = xdr::decode<pc::write_chunk_args>(args);
      if (!a) break;
      calls_.push_back({proc, {}, {}});
      ++chunks_;
      proto::reply res;
      auto it = uploads_.find(a->upload_id);
      if (it == uploads_.end()) {
        res.code = proto::status::no_upload;
        res.detail = "no such upload";
        return reply(res);
      }
      auto& up = it->second;
      if (up.data.size() < a->offset + a->data.size()) up.data.resize(a->offset + a->data.size());
      if (!a->data.empty()) std::memcpy(up.data.data() + a->offset, a->data.data(), a->data.size());
      up.chunks[a->offset] = a->data.size();
      return reply(res);
    }
    case pc::proc::write_commit: {
      auto a = xdr::decode<pc::write_commit_args>(args);
      if (!a) break;
      calls_.push_back({proc, {}, {}});
      proto::write_res res;
      auto it = uploads_.find(a->upload_id);
      if (it == uploads_.end()) {
        res.code = proto::status::no_upload;
        res.detail = "no such upload";
        return reply(res);
      }
      std::uint64_t written = 0;
      for (auto [at, n] : it->second.chunks) written += n;
      if (written != a->size || it->second.data.size() != a->size) {
        res.code = proto::status::bad_range;
        res.detail = "size does not match the bytes written";
      } else {
        store_[it->second.key] = std::move(it->second.data);
        res.ver = {++hlc_, 7};
      }
      uploads_.erase(it);
      return reply(res);
    }
    case pc::proc::write_abort: {
      auto a = xdr::decode<pc::write_abort_args>(args);
      if (!a) break;
      calls_.push_back({proc, {}, {}});
      proto::reply res;
      if (uploads_.erase(a->upload_id) == 0) {
        res.code = proto::status::no_upload;
        res.detail = "no such upload";
      }
      return reply(res);
    }
    case pc::proc::read: {
      auto a = xdr::decode<pc::read_args>(args);
      if (!a) break;
      calls_.push_back({proc, text(a->key), {}});
      proto::read_res res;
      auto it = store_.find(text(a->key));
      if (it == store_.end()) {
        res.code = proto::status::not_found;
        res.detail = "no such key";
        return reply(res);
      }
      const std::string& v = it->second;
      if (a->offset > v.size()) {
        res.code = proto::status::bad_range;
        res.detail = "offset past the end";
        return reply(res);
      }
      std::size_t n = std::min<std::uint64_t>(a->length, v.size() - a->offset);
      res.data.info = info_of(v);
      res.data.data = xdr::bytes_view{reinterpret_cast<const xdr::byte*>(v.data()) + a->offset, n};
      res.data.eof = a->offset + n == v.size();
      return reply(res);
    }
    default:
      break;
  }
  calls_.push_back({proc, {}, {}});
  xdr::encoder e;
  e.begin_record();
  xdr::rpc::encode_accepted_error(e, xid, xdr::rpc::accept_stat::garbage_args);
  e.end_record();
  return e.flatten();
}

}  // namespace ferry::test
