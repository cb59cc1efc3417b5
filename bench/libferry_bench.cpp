// libferry_bench: what libferry costs over a raw FERRY_CLIENT socket client (broker_bench --ferryd-socket).
// The same closed loop of small PUT or GET, bounded by a count and a time limit, through ONE libferry handle:
// sync (T threads sharing the handle, one call each at a time) or async (one thread keeping D calls in
// flight with ferry_*_async, a poll loop on ferry_fd + ferry_process). The result line has broker_bench's
// format, so bench/run-ferryd pairs them: c= counts threads on the one handle, d= calls in flight per thread.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <poll.h>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_wire.hpp"
#include "bench/load_result.hpp"
#include "ferry.h"

using namespace ferry::bench;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  std::string socket;
  std::string mode = "sync";
  std::string op = "put";
  unsigned threads = 1;         // sync: threads sharing the handle
  unsigned depth = 1;           // async: calls in flight
  std::uint64_t count = 20000;  // calls per thread (async: in all) at most
  double seconds = 3;           // and at most this long
  std::size_t value_size = 100;
  unsigned keys = 200;  // distinct keys per thread

  bool async() const { return mode == "async"; }
};

struct run_result : load_result {
  void record(int status, clock_type::time_point sent, clock_type::time_point now) {
    latencies_us.push_back(std::chrono::duration<double, std::micro>(now - sent).count());
    if (status == FERRY_OK) {
      ++ops;
    } else {
      ++errors;
      if (first_error.empty()) first_error = ferry_strerror(status);
    }
  }
};

// Disjoint from broker_bench's keys ("bench/ferryd/..."), so the arms never write each other's keys.
std::string key_of(const options& o, unsigned thread, std::uint64_t k) {
  return fmt::format("bench/libferry/{}/{}/{}", o.mode, thread, k % o.keys);
}

clock_type::time_point deadline_of(const options& o) {
  return clock_type::now() +
         std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.seconds));
}

// Writes every key of the thread once, untimed, so GETs find values; the first failing status, else FERRY_OK.
int prefill(ferry_t* h, const options& o, unsigned thread, const std::vector<std::uint8_t>& value) {
  for (unsigned k = 0; k < o.keys; ++k) {
    auto key = key_of(o, thread, k);
    if (int st = ferry_put(h, key.data(), key.size(), value.data(), value.size(), nullptr); st != FERRY_OK)
      return st;
  }
  return FERRY_OK;
}

int call_sync(ferry_t* h, const options& o, const std::string& key, const std::vector<std::uint8_t>& value,
              std::vector<std::uint8_t>& buf) {
  if (o.op == "put") return ferry_put(h, key.data(), key.size(), value.data(), value.size(), nullptr);
  std::size_t vlen = 0;
  return ferry_get(h, key.data(), key.size(), buf.data(), buf.size(), &vlen, nullptr, nullptr);
}

run_result run_sync_thread(ferry_t* h, const options& o, unsigned index, std::barrier<>& ready,
                           clock_type::time_point& started) {
  run_result res;
  std::vector<std::uint8_t> value(o.value_size, 0x5a), buf(o.value_size);
  int prepared = o.op == "get" ? prefill(h, o, index, value) : FERRY_OK;
  // Every thread starts its timed loop together, after all the untimed preparation.
  ready.arrive_and_wait();
  if (index == 0) started = clock_type::now();
  if (prepared != FERRY_OK) {
    res.errors = 1;
    res.first_error = fmt::format("prefill failed: {}", ferry_strerror(prepared));
    res.finished = clock_type::now();
    return res;
  }
  auto stop = deadline_of(o);
  res.latencies_us.reserve(std::min<std::uint64_t>(o.count, 1u << 20));
  auto now = clock_type::now();
  for (std::uint64_t issued = 0; issued < o.count && now < stop; ++issued) {
    auto key = key_of(o, index, issued);
    auto sent = clock_type::now();
    int st = call_sync(h, o, key, value, buf);
    now = clock_type::now();
    res.record(st, sent, now);
  }
  res.finished = clock_type::now();
  return res;
}

run_result run_sync(ferry_t* h, const options& o, clock_type::time_point& started) {
  std::vector<run_result> results(o.threads);
  std::vector<std::thread> threads;
  std::barrier ready(static_cast<std::ptrdiff_t>(o.threads));
  for (unsigned i = 0; i < o.threads; ++i)
    threads.emplace_back([&, i] { results[i] = run_sync_thread(h, o, i, ready, started); });
  for (auto& t : threads) t.join();
  run_result all;
  for (auto& r : results) all.add(r);
  return all;
}

// One thread keeps `depth` calls in flight; each callback records its call and submits the next one.
struct async_loop {
  struct slot {
    async_loop* loop;
    clock_type::time_point sent;
  };

  async_loop(ferry_t* handle, const options& opts) : h(handle), o(opts), value(o.value_size, 0x5a) {}

  ferry_t* h;
  const options& o;
  std::vector<std::uint8_t> value;
  std::vector<slot> slots;
  clock_type::time_point stop{};
  std::uint64_t issued = 0, done = 0;
  run_result res;

  // False when the call was not made (no callback will run for it).
  bool submit(slot& s) {
    auto key = key_of(o, 0, issued);
    s.sent = clock_type::now();
    int st = o.op == "put"
                 ? ferry_put_async(h, key.data(), key.size(), value.data(), value.size(), nullptr, on_done, &s)
                 : ferry_get_async(h, key.data(), key.size(), nullptr, on_done, &s);
    if (st != FERRY_OK) {
      ++res.errors;
      if (res.first_error.empty()) res.first_error = fmt::format("submit failed: {}", ferry_strerror(st));
      return false;
    }
    ++issued;
    return true;
  }

  static void on_done(void* user, int status, const ferry_async_result*) {
    auto& s = *static_cast<slot*>(user);
    auto& self = *s.loop;
    auto now = clock_type::now();
    self.res.record(status, s.sent, now);
    ++self.done;
    if (self.issued < self.o.count && now < self.stop) self.submit(s);
  }

  run_result run() {
    res.latencies_us.reserve(std::min<std::uint64_t>(o.count, 1u << 20));
    slots.assign(o.depth, slot{this, {}});
    stop = deadline_of(o);
    for (auto& s : slots)
      if (issued >= o.count || !submit(s)) break;
    pollfd pfd{ferry_fd(h), POLLIN, 0};
    // Calls carry libferry's default deadline, so a silent ferryd still completes them (FERRY_TIMEDOUT).
    while (done < issued) {
      if (poll(&pfd, 1, 1000) < 0 && errno != EINTR) break;
      if (int n = ferry_process(h); n < 0) {
        res.errors += issued - done;
        if (res.first_error.empty()) res.first_error = fmt::format("ferry_process: {}", ferry_strerror(-n));
        break;
      }
    }
    res.finished = clock_type::now();
    return res;
  }
};

run_result run_async(ferry_t* h, const options& o, clock_type::time_point& started) {
  std::vector<std::uint8_t> value(o.value_size, 0x5a);
  if (int st = o.op == "get" ? prefill(h, o, 0, value) : FERRY_OK; st != FERRY_OK) {
    started = clock_type::now();
    run_result res;
    res.errors = 1;
    res.first_error = fmt::format("prefill failed: {}", ferry_strerror(st));
    res.finished = started;
    return res;
  }
  started = clock_type::now();
  return async_loop(h, o).run();
}

int run(const options& o) {
  ferry_t* h = nullptr;
  if (int st = ferry_open(o.socket.c_str(), &h); st != FERRY_OK) {
    fmt::print(stderr, "libferry_bench: ferry_open({}): {}\n", o.socket, ferry_strerror(st));
    return 1;
  }
  clock_type::time_point started{};
  auto all = o.async() ? run_async(h, o, started) : run_sync(h, o, started);
  ferry_close(h);
  return print_result_line("libferry-" + o.mode, o.op, o.async() ? 1 : o.threads, o.async() ? o.depth : 1, all, started);
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"libferry_bench: closed-loop small PUT/GET through one libferry handle to ferryd, sync or async"};
  app.add_option("--socket", o.socket, "ferryd's UNIX socket")->required();
  app.add_option("--mode", o.mode, "sync (threads share the handle) | async (one thread, calls in flight)")
      ->check(CLI::IsMember({"sync", "async"}));
  app.add_option("--op", o.op, "put | get")->check(CLI::IsMember({"put", "get"}));
  auto* threads =
      app.add_option("--threads,-c", o.threads, "sync: threads sharing the handle")->check(CLI::PositiveNumber);
  auto* depth = app.add_option("--depth,-d", o.depth, "async: calls in flight")->check(CLI::PositiveNumber);
  app.add_option("--count,-n", o.count, "calls per thread (async: in all) at most");
  app.add_option("--seconds,-t", o.seconds, "time limit of the timed loop");
  app.add_option("--value-size", o.value_size, "bytes per value");
  app.add_option("--keys", o.keys, "distinct keys per thread")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  if ((o.async() && threads->count() > 0 && o.threads != 1) || (!o.async() && depth->count() > 0 && o.depth != 1)) {
    fmt::print(stderr, "libferry_bench: --threads is for --mode sync, --depth for --mode async\n");
    return 2;
  }
  return run(o);
}
