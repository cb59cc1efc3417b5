// The per-connection loop of ferry-bench and the run around it: connect and prefill (untimed), start every
// connection together, warm up, measure, drain; then merge what the connections saw and sample CPU.
#include "load.hpp"

#include <algorithm>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <random>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>

#include "wire.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/protocol/common.hpp"
#include "xdr/protocol/store.hpp"
#include "xdr/rpc.hpp"

namespace ferry::bench {
namespace {

namespace pc = proto::client;
namespace ps = proto::store;
using clock_type = std::chrono::steady_clock;

clock_type::duration seconds_to_duration(double s) {
  return std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s));
}

// One operation: a GET or PUT (one call), or a chunked PUT (WRITE_OPEN, the chunks one after another,
// WRITE_COMMIT). It lives in the in-flight table under the xid of its current call.
struct operation {
  enum class kind : std::uint8_t { get, put, chunked_put };
  enum class phase : std::uint8_t { single, open, chunk, commit };
  kind what = kind::get;
  phase step = phase::single;
  std::uint64_t key_index = 0;
  std::uint64_t size = 0;
  std::uint64_t upload_id = 0;
  std::uint64_t offset = 0;  // chunk: where the chunk in flight starts
  std::int32_t slot = -1;    // --shm: the region slot of a single PUT or GET in flight
  clock_type::time_point intended{};
  bool measured = false;
};

// The timeline every connection shares, fixed when they are all connected and prefilled.
struct timeline {
  clock_type::time_point start{}, measure_start{}, measure_end{}, drain_end{};
};

class connection {
 public:
  connection(const options& o, unsigned index, load_result& out)
      : o_(o), index_(index), out_(out), rng_(o.seed * 1000003u + index),
        value_(static_cast<std::size_t>(o.sizes.largest()), xdr::byte{0x5a}) {
    const std::uint64_t per = std::max<std::uint64_t>(1, o.keys / std::max(1u, o.connections));
    keys_ = per;
    const std::uint64_t base_quota = o.ops / o.connections;
    quota_ = base_quota + (index < o.ops % o.connections ? 1 : 0);
    prefix_ = o.key_prefix.empty()
                  ? std::string(o.protocol == wire_protocol::client ? "fb/client/" : "fb/store/")
                  : o.key_prefix;
    prefix_ += std::to_string(index) + "/";
    version_base_ = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                   std::chrono::system_clock::now().time_since_epoch())
                                                   .count());
  }
  ~connection() {
    if (fd_ >= 0) ::close(fd_);
    if (region_) ::munmap(region_, region_bytes_);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Connects and, when the load reads, writes every key of this connection once. False on failure,
  // counted in out_.
  bool prepare() {
    fd_ = connect_to(o_.where);
    if (fd_ < 0) {
      ++out_.prefill_errors;
      ++out_.errors[std::string("connect: ") + std::strerror(errno)];
      return false;
    }
    if (o_.shm && !attach_region()) return false;
    if (o_.get_ratio <= 0) return true;
    const auto deadline = clock_type::now() + seconds_to_duration(std::max(30.0, o_.drain_seconds));
    std::uint64_t next_key = 0;
    const std::size_t depth = std::min<std::size_t>(o_.depth, 64);
    while (next_key < keys_ || !inflight_.empty()) {
      while (next_key < keys_ && inflight_.size() < depth) {
        operation op = make_put(next_key++);
        if (!start(op)) return lost("connection closed during prefill");
      }
      if (!await(deadline, deadline)) return lost("no reply within the prefill time");
      if (!alive_) return false;
    }
    return out_.prefill_errors == 0;
  }

  void run(const timeline& t) {
    if (!alive_) return;
    const bool open = o_.mode == loop_mode::open;
    const double per_conn_rate = o_.rate / o_.connections;
    const auto interval = seconds_to_duration(1.0 / std::max(per_conn_rate, 1e-9));
    // Connections start staggered across one interval so the open loop is not a burst train.
    auto next_intended = t.start + interval * index_ / std::max(1u, o_.connections);
    bool sending = quota_ > 0;
    for (;;) {
      auto now = clock_type::now();
      if (sending && (now >= t.measure_end || measured_issued_ >= quota_)) sending = false;
      if (!sending && inflight_.empty()) break;
      if (!sending && now >= t.drain_end) {
        fail_all_inflight("no reply before the drain limit");
        break;
      }
      if (sending) {
        if (!open) {
          while (inflight_.size() < o_.depth && measured_issued_ < quota_) {
            if (!start(make_op(now, now >= t.measure_start))) return void(lost("connection closed"));
          }
        } else {
          while (inflight_.size() < o_.depth && next_intended <= now && measured_issued_ < quota_ &&
                 next_intended < t.measure_end) {
            if (!start(make_op(next_intended, next_intended >= t.measure_start)))
              return void(lost("connection closed"));
            next_intended += interval;
          }
        }
      }
      auto wake = sending ? t.measure_end : t.drain_end;
      if (sending && open && inflight_.size() < o_.depth) wake = std::min(wake, next_intended);
      if (!await(wake, t.drain_end)) return void(lost("connection closed"));
      if (!alive_) return;
    }
  }

 private:
  // --shm: a sealed memfd of depth slots (each as large as the largest value up to chunk_size), passed to
  // ferryd with FC_SHM_ATTACH and SCM_RIGHTS, as libferry does; the answer is awaited here, untimed.
  bool attach_region() {
    slot_bytes_ = std::min<std::uint64_t>(o_.sizes.largest(), o_.chunk_size);
    slot_bytes_ = std::max<std::uint64_t>(4096, (slot_bytes_ + 4095) / 4096 * 4096);
    region_bytes_ = slot_bytes_ * o_.depth;
    int mfd = ::memfd_create("ferry-bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0 || ::ftruncate(mfd, static_cast<off_t>(region_bytes_)) != 0 ||
        ::fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
      if (mfd >= 0) ::close(mfd);
      return lost(std::string("memfd: ") + std::strerror(errno));
    }
    void* p = ::mmap(nullptr, region_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    if (p == MAP_FAILED) {
      ::close(mfd);
      return lost(std::string("mmap: ") + std::strerror(errno));
    }
    region_ = static_cast<xdr::byte*>(p);
    for (std::uint32_t i = o_.depth; i > 0; --i) free_slots_.push_back(static_cast<std::int32_t>(i - 1));
    xdr::encoder e;
    e.begin_record();
    xdr::rpc::encode_call(e, {0, pc::program, pc::version, static_cast<std::uint32_t>(pc::shm_proc::attach), {}, {}});
    (void)xdr::encode(e, pc::shm_attach_args{region_bytes_});
    e.end_record();
    auto record = e.flatten();
    iovec iov{record.data(), record.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &mfd, sizeof mfd);
    const auto sent = ::sendmsg(fd_, &m, MSG_NOSIGNAL);
    ::close(mfd);
    if (sent != static_cast<ssize_t>(record.size())) return lost("FC_SHM_ATTACH could not be sent");
    const auto limit = clock_type::now() + std::chrono::seconds(30);
    while (clock_type::now() < limit) {
      pollfd pf{fd_, POLLIN, 0};
      if (::poll(&pf, 1, 100) < 0 && errno != EINTR) break;
      if (rx_.fill(fd_) != record_reader::status::ok) break;
      if (auto rec = rx_.next()) {
        auto r = xdr::rpc::decode_reply(*rec);
        if (!r || r->stat != xdr::rpc::reply_stat::accepted || r->accepted != xdr::rpc::accept_stat::success)
          return lost("FC_SHM_ATTACH: a bad or refused reply");
        auto res = xdr::decode<proto::reply>(r->results);
        if (res && res->code == proto::status::ok) return true;
        return lost(std::string("FC_SHM_ATTACH refused: ") + (res ? std::string(res->detail) : "undecodable result"));
      }
    }
    return lost("no answer to FC_SHM_ATTACH");
  }

  bool shm_single(const operation& op) const { return o_.shm && op.step == operation::phase::single; }

  operation make_put(std::uint64_t key_index) {
    operation op;
    op.key_index = key_index;
    op.size = o_.sizes.pick(uniform_(rng_));
    op.what = op.size > o_.chunk_size ? operation::kind::chunked_put : operation::kind::put;
    op.step = op.what == operation::kind::chunked_put ? operation::phase::open : operation::phase::single;
    op.intended = clock_type::now();
    return op;
  }

  operation make_op(clock_type::time_point intended, bool measured) {
    operation op;
    if (uniform_(rng_) < o_.get_ratio) {
      op.what = operation::kind::get;
      op.key_index = rng_() % keys_;
    } else {
      // PUTs go round the connection's keys, so calls in flight together write different keys (through
      // ferryd, two in-flight writes of one key may legitimately end in CONFLICT).
      op = make_put(put_cursor_++ % keys_);
    }
    op.intended = intended;
    op.measured = measured;
    if (measured) ++measured_issued_;
    return op;
  }

  std::string key_of(std::uint64_t k) const { return prefix_ + std::to_string(k); }

  std::uint32_t proc_of(const operation& op) const {
    const bool c = o_.protocol == wire_protocol::client;
    auto pick = [c](pc::proc client_proc, ps::proc store_proc) {
      return c ? static_cast<std::uint32_t>(client_proc) : static_cast<std::uint32_t>(store_proc);
    };
    if (shm_single(op))
      return static_cast<std::uint32_t>(op.what == operation::kind::get ? pc::shm_proc::get : pc::shm_proc::put);
    switch (op.step) {
      case operation::phase::single:
        return op.what == operation::kind::get ? pick(pc::proc::get, ps::proc::get) : pick(pc::proc::put, ps::proc::put);
      case operation::phase::open: return pick(pc::proc::write_open, ps::proc::write_open);
      case operation::phase::chunk: return pick(pc::proc::write_chunk, ps::proc::write_chunk);
      case operation::phase::commit: return pick(pc::proc::write_commit, ps::proc::write_commit);
    }
    return 0;
  }

  // Sends the current call of op and files op under its xid.
  bool send_call(operation op) {
    const bool c = o_.protocol == wire_protocol::client;
    const std::uint32_t xid = next_xid_++;
    if (shm_single(op) && op.slot < 0) {  // depth calls in flight at most, depth slots: one is free
      op.slot = free_slots_.back();
      free_slots_.pop_back();
    }
    xdr::encoder e;
    e.begin_record();
    xdr::rpc::encode_call(e, {xid, c ? pc::program : ps::program, c ? pc::version : ps::version, proc_of(op), {}, {}});
    const auto key = key_of(op.key_index);
    const auto kb = xdr::as_bytes(std::string_view(key));
    const proto::version ver{version_base_ + writes_, index_ + 1};
    using P = operation::phase;
    bool encoded = true;
    switch (op.step) {
      case P::single:
        if (shm_single(op)) {
          const pc::shm_slot slot{static_cast<std::uint64_t>(op.slot) * slot_bytes_,
                                  static_cast<std::uint32_t>(op.what == operation::kind::get ? slot_bytes_ : op.size)};
          if (op.what == operation::kind::get) {
            encoded = static_cast<bool>(xdr::encode(e, pc::get_shm_args{kb, slot, 0}));
          } else {
            ++writes_;
            std::memcpy(region_ + slot.offset, value_.data(), slot.length);  // libferry's copy into the slot
            encoded = static_cast<bool>(xdr::encode(e, pc::put_shm_args{kb, slot, 0, {}, 0}));
          }
        } else if (op.what == operation::kind::get) {
          encoded = static_cast<bool>(c ? xdr::encode(e, pc::key_args{kb, 0}) : xdr::encode(e, ps::key_args{kb}));
        } else {
          ++writes_;
          xdr::bytes_view v{value_.data(), static_cast<std::size_t>(op.size)};
          encoded = static_cast<bool>(c ? xdr::encode(e, pc::put_args{kb, v, 0, {}, 0}) : xdr::encode(e, ps::put_args{kb, v, ver}));
        }
        break;
      case P::open:
        ++writes_;
        encoded = static_cast<bool>(c ? xdr::encode(e, pc::write_open_args{kb, op.size, 0, {}})
                    : xdr::encode(e, ps::write_open_args{kb, ver, op.size}));
        break;
      case P::chunk: {
        auto n = static_cast<std::size_t>(std::min(o_.chunk_size, op.size - op.offset));
        xdr::bytes_view v{value_.data() + op.offset, n};
        encoded = static_cast<bool>(c ? xdr::encode(e, pc::write_chunk_args{op.upload_id, op.offset, v, 0})
                    : xdr::encode(e, ps::write_chunk_args{op.upload_id, op.offset, v}));
        break;
      }
      case P::commit:
        encoded = static_cast<bool>(c ? xdr::encode(e, pc::write_commit_args{op.upload_id, op.size, 0})
                    : xdr::encode(e, ps::write_commit_args{op.upload_id, op.size}));
        break;
    }
    e.end_record();
    if (!encoded) {
      finish(op, "encode failed", 0);
      return true;
    }
    if (!send_all(fd_, e)) {
      inflight_.emplace(xid, op);  // lost with the connection: counted by lost()
      return false;
    }
    inflight_.emplace(xid, op);
    return true;
  }

  bool start(operation op) { return send_call(op); }

  bool fail(const operation& op, std::string_view why) {
    finish(op, why, 0);
    return true;
  }

  void finish(const operation& op, std::string_view failure, std::uint64_t bytes) {
    if (!op.measured) {  // prefill and warm-up: untimed, but a failure is still reported
      if (failure.empty()) return;
      if (!prepared_) ++out_.prefill_errors;
      ++out_.errors[(prepared_ ? "warmup: " : "prefill: ") + std::string(failure)];
      return;
    }
    const auto now = clock_type::now();
    out_.latency.record(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - op.intended).count()));
    last_done_ = now;
    if (failure.empty()) {
      ++out_.ok;
      out_.bytes += bytes;
    } else {
      ++out_.errors[std::string(failure)];
    }
  }

  // Handles one reply record: completes its operation or sends the operation's next call.
  bool on_reply(xdr::bytes_view record) {
    auto r = xdr::rpc::decode_reply(record);
    if (!r) {
      bad_record_ = true;
      return true;
    }
    auto it = inflight_.find(r->xid);
    if (it == inflight_.end()) {
      ++out_.errors["reply with an unknown xid"];
      return true;
    }
    operation op = it->second;
    inflight_.erase(it);
    if (op.slot >= 0) free_slots_.push_back(op.slot);
    if (r->stat != xdr::rpc::reply_stat::accepted) return fail(op, "MSG_DENIED");
    if (r->accepted != xdr::rpc::accept_stat::success) return fail(op, xdr::rpc::to_string(r->accepted));
    using P = operation::phase;
    switch (op.step) {
      case P::single:
        if (shm_single(op) && op.what == operation::kind::get) {
          auto g = xdr::decode<pc::get_shm_res>(r->results);
          if (!g) return fail(op, "undecodable result");
          if (g->code != proto::status::ok) return fail(op, proto::to_string(g->code));
          if (g->value.length > slot_bytes_) return fail(op, "value larger than the slot");
          if (copy_out_.size() < slot_bytes_) copy_out_.resize(slot_bytes_);
          std::memcpy(copy_out_.data(), region_ + static_cast<std::uint64_t>(op.slot) * slot_bytes_,
                      g->value.length);  // libferry's copy out of the slot
          finish(op, {}, g->value.length);
        } else if (op.what == operation::kind::get) {
          auto g = xdr::decode<proto::get_res>(r->results);
          if (!g) return fail(op, "undecodable result");
          if (g->code != proto::status::ok) return fail(op, proto::to_string(g->code));
          finish(op, {}, g->found.data.size());
        } else {
          auto w = xdr::decode<proto::write_res>(r->results);
          if (!w) return fail(op, "undecodable result");
          if (w->code != proto::status::ok) return fail(op, proto::to_string(w->code));
          finish(op, {}, op.size);
        }
        return true;
      case P::open: {
        auto w = xdr::decode<proto::write_open_res>(r->results);
        if (!w) return fail(op, "undecodable result");
        if (w->code != proto::status::ok) return fail(op, proto::to_string(w->code));
        op.upload_id = w->up.upload_id;
        op.step = P::chunk;
        op.offset = 0;
        return send_call(op);
      }
      case P::chunk: {
        auto w = xdr::decode<proto::reply>(r->results);
        if (!w) return fail(op, "undecodable result");
        if (w->code != proto::status::ok) return fail(op, proto::to_string(w->code));
        op.offset += std::min(o_.chunk_size, op.size - op.offset);
        if (op.offset >= op.size) op.step = P::commit;
        return send_call(op);
      }
      case P::commit: {
        auto w = xdr::decode<proto::write_res>(r->results);
        if (!w) return fail(op, "undecodable result");
        if (w->code != proto::status::ok) return fail(op, proto::to_string(w->code));
        finish(op, {}, op.size);
        return true;
      }
    }
    return true;
  }

  // Waits for replies until `wake` (never past `hard`) and handles all that arrived. False when the
  // connection is gone (or sent garbage).
  bool await(clock_type::time_point wake, clock_type::time_point hard) {
    auto now = clock_type::now();
    if (now >= hard && !inflight_.empty() && wake >= hard) return false;
    auto wait = std::clamp<clock_type::duration>(std::min(wake, hard) - now, clock_type::duration::zero(),
                                                 std::chrono::milliseconds(100));
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    pollfd p{fd_, POLLIN, 0};
    int n = ppoll(&p, 1, &ts, nullptr);
    if (n < 0) return errno == EINTR;
    if (n == 0) return true;
    for (int reads = 0; reads < 64; ++reads) {  // bounded: a busy peer cannot starve the sender
      auto st = rx_.fill(fd_);
      if (st != record_reader::status::ok) return false;
      bool any = false;
      while (auto rec = rx_.next()) {
        any = true;
        if (!on_reply(*rec)) return false;
        if (bad_record_) return false;
      }
      if (!rx_.error.empty()) return false;
      if (!any) break;
      pollfd again{fd_, POLLIN, 0};
      if (::poll(&again, 1, 0) <= 0) break;
    }
    return true;
  }

  void fail_all_inflight(std::string_view why) {
    for (auto& [xid, op] : inflight_) finish(op, why, 0);
    inflight_.clear();
  }

  bool lost(std::string_view why) {
    alive_ = false;
    std::string reason(why);
    if (bad_record_) reason = "undecodable reply record";
    else if (!rx_.error.empty()) reason = rx_.error;
    if (!prepared_) {
      out_.prefill_errors += std::max<std::size_t>(1, inflight_.size());
      ++out_.errors["prefill: " + reason];
      inflight_.clear();
      return false;
    }
    fail_all_inflight(reason);
    return false;
  }

 public:
  void mark_prepared() { prepared_ = true; }
  clock_type::time_point last_done() const { return last_done_; }

 private:
  const options& o_;
  unsigned index_;
  load_result& out_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  std::vector<xdr::byte> value_;
  std::uint64_t keys_ = 1;
  std::uint64_t quota_ = 0;
  std::uint64_t measured_issued_ = 0;
  std::string prefix_;
  std::uint64_t version_base_ = 0;
  std::uint64_t writes_ = 0;
  std::uint64_t put_cursor_ = 0;
  int fd_ = -1;
  bool alive_ = true;
  bool prepared_ = false;
  bool bad_record_ = false;
  std::uint32_t next_xid_ = 1;
  std::unordered_map<std::uint32_t, operation> inflight_;
  record_reader rx_;
  xdr::byte* region_ = nullptr;  // --shm
  std::uint64_t region_bytes_ = 0, slot_bytes_ = 0;
  std::vector<std::int32_t> free_slots_;
  std::vector<xdr::byte> copy_out_;
  clock_type::time_point last_done_{};
};

double rusage_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

}  // namespace

std::uint64_t load_result::error_count() const {
  std::uint64_t n = 0;
  for (const auto& [name, count] : errors) n += count;
  return n;
}

void load_result::merge_errors(const load_result& other) {
  for (const auto& [name, count] : other.errors) errors[name] += count;
}

load_result run_load(const options& o) {
  const unsigned n = std::max(1u, o.connections);
  std::vector<load_result> results(n);
  std::vector<clock_type::time_point> last_done(n);
  timeline t;
  // The main thread joins the barrier too, so it knows the timeline and samples CPU at its edges.
  std::barrier ready(static_cast<std::ptrdiff_t>(n) + 1, [&]() noexcept {
    t.start = clock_type::now();
    t.measure_start = t.start + seconds_to_duration(o.warmup_seconds);
    t.measure_end = t.measure_start + seconds_to_duration(o.seconds);
    t.drain_end = t.measure_end + seconds_to_duration(o.drain_seconds);
  });
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (unsigned i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      connection c(o, i, results[i]);
      bool ok = c.prepare();
      c.mark_prepared();
      ready.arrive_and_wait();
      if (ok) c.run(t);
      last_done[i] = c.last_done();
    });
  ready.arrive_and_wait();
  std::this_thread::sleep_until(t.measure_start);
  const double cpu_before = rusage_seconds();
  std::vector<std::optional<double>> pid_before;
  for (auto pid : o.pids) pid_before.push_back(process_cpu_seconds(pid));
  for (auto& th : threads) th.join();
  const double cpu_after = rusage_seconds();

  load_result all;
  for (std::size_t i = 0; i < o.pids.size(); ++i) {
    auto after = process_cpu_seconds(o.pids[i]);
    all.pid_cpu_seconds.emplace_back(o.pids[i], pid_before[i] && after ? std::optional(*after - *pid_before[i])
                                                                       : std::nullopt);
  }
  all.client_cpu_seconds = cpu_after - cpu_before;
  auto last = t.measure_start;
  for (unsigned i = 0; i < n; ++i) {
    all.latency.merge(results[i].latency);
    all.ok += results[i].ok;
    all.bytes += results[i].bytes;
    all.prefill_errors += results[i].prefill_errors;
    all.merge_errors(results[i]);
    last = std::max(last, last_done[i]);
  }
  all.elapsed_seconds = std::chrono::duration<double>(last - t.measure_start).count();
  return all;
}

}  // namespace ferry::bench
