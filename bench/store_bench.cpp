// store_bench: load generator against a running ferry-store. C connections, each on its own thread keeping
// D calls in flight (closed loop), bounded by a count and a time limit. Reports ops/s, MB/s and latency
// percentiles for one operation: put (small values), get (small values), or chunk (1 MiB WRITE_CHUNK).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bench/bench_wire.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/store.hpp"
#include "xdr/record.hpp"
#include "xdr/rpc.hpp"

using namespace ferry;
using namespace ferry::bench;
namespace ps = proto::store;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  std::uint16_t port = 0;
  std::string op = "put";
  unsigned connections = 1;
  unsigned depth = 1;
  std::uint64_t count = 20000;  // calls per connection at most
  double seconds = 5;           // and at most this long
  std::size_t value_size = 100;
  unsigned keys = 1000;
};

struct conn_result {
  std::uint64_t ops = 0;
  std::uint64_t errors = 0;
  std::uint64_t payload_bytes = 0;
  std::vector<double> latencies_us;
  std::string first_error;
};

conn_result run_connection(const options& o, unsigned index) {
  conn_result res;
  int fd = connect_tcp(o.port);
  if (fd < 0) {
    res.errors = 1;
    return res;
  }
  std::vector<xdr::byte> value(o.op == "chunk" ? (1u << 20) : o.value_size, 0x5a);
  reader rd(fd);
  std::uint64_t upload = 0;
  if (o.op == "chunk") {
    xdr::encoder e;
    e.begin_record();
    xdr::rpc::encode_call(e, {1, ps::program, 1, static_cast<std::uint32_t>(ps::proc::write_open), {}, {}});
    auto key = fmt::format("bench/chunk/{}", index);
    (void)xdr::encode(e, ps::write_open_args{xdr::as_bytes(key), {1, index}, 0});
    e.end_record();
    auto r = write_all(fd, e) ? rd.next_reply() : std::nullopt;
    auto opened = r ? xdr::decode<proto::write_open_res>(r->results) : xdr::result<proto::write_open_res>(
                                                                           xdr::codec_error{xdr::errc::truncated, 0});
    if (!opened || opened->code != proto::status::ok) {
      close(fd);
      res.errors = 1;
      return res;
    }
    upload = opened->up.upload_id;
  }
  if (o.op == "get") {
    // GET measures reads of existing keys: write each key once first, pipelined, untimed.
    std::uint32_t prefill_xid = 1u << 30;
    for (unsigned k = 0; k < o.keys; ++k) {
      xdr::encoder e;
      e.begin_record();
      xdr::rpc::encode_call(e, {prefill_xid++, ps::program, 1, static_cast<std::uint32_t>(ps::proc::put), {}, {}});
      auto key = fmt::format("bench/{}/{}", index, k);
      (void)xdr::encode(e, ps::put_args{xdr::as_bytes(key), value, {1, index}});
      e.end_record();
      if (!write_all(fd, e)) break;
      if (k >= 64 && !rd.next()) break;  // keep at most 64 in flight
    }
    for (unsigned k = 0; k < std::min(o.keys, 64u); ++k) rd.next();
  }
  // The time limit starts after any untimed preparation above.
  auto stop = clock_type::now() + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<clock_type::time_point> sent_at(1 << 16);
  std::uint32_t xid = 100;
  // Versions grow across runs against the same store (microseconds since the epoch), so a later run's
  // writes are newer than an earlier run's instead of conflicting with them.
  const std::uint64_t version_base = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  std::uint64_t issued = 0;
  auto send_one = [&] {
    xdr::encoder e;
    e.begin_record();
    auto k = fmt::format("bench/{}/{}", index, issued % o.keys);
    if (o.op == "put") {
      xdr::rpc::encode_call(e, {xid, ps::program, 1, static_cast<std::uint32_t>(ps::proc::put), {}, {}});
      (void)xdr::encode(e, ps::put_args{xdr::as_bytes(k), value, {version_base + issued, index}});
    } else if (o.op == "get") {
      xdr::rpc::encode_call(e, {xid, ps::program, 1, static_cast<std::uint32_t>(ps::proc::get), {}, {}});
      (void)xdr::encode(e, ps::key_args{xdr::as_bytes(k)});
    } else {
      xdr::rpc::encode_call(e, {xid, ps::program, 1, static_cast<std::uint32_t>(ps::proc::write_chunk), {}, {}});
      (void)xdr::encode(e, ps::write_chunk_args{upload, issued * value.size(), value});
    }
    e.end_record();
    sent_at[xid & 0xFFFF] = clock_type::now();
    ++xid;
    ++issued;
    return write_all(fd, e);
  };
  for (unsigned i = 0; i < o.depth && issued < o.count; ++i)
    if (!send_one()) break;
  std::uint64_t done = 0;
  while (done < issued) {
    auto r = rd.next();
    if (!r) {
      ++res.errors;
      break;
    }
    auto now = clock_type::now();
    res.latencies_us.push_back(std::chrono::duration<double, std::micro>(now - sent_at[r->first & 0xFFFF]).count());
    ++done;
    if (r->second) {
      ++res.ops;
      res.payload_bytes += value.size();
    } else {
      ++res.errors;
    }
    if (issued < o.count && now < stop && !send_one()) break;
  }
  close(fd);
  res.first_error = rd.first_error;
  return res;
}


}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"store_bench: closed-loop load against a running ferry-store on 127.0.0.1"};
  app.add_option("--port", o.port, "ferry-store port on 127.0.0.1")->required();
  app.add_option("--op", o.op, "put | get | chunk")->check(CLI::IsMember({"put", "get", "chunk"}));
  app.add_option("--connections,-c", o.connections, "concurrent connections");
  app.add_option("--depth,-d", o.depth, "calls in flight per connection");
  app.add_option("--count,-n", o.count, "calls per connection at most");
  app.add_option("--seconds,-t", o.seconds, "time limit");
  app.add_option("--value-size", o.value_size, "bytes per put/get value");
  app.add_option("--keys", o.keys, "distinct keys per connection");
  CLI11_PARSE(app, argc, argv);

  auto start = clock_type::now();
  std::vector<conn_result> results(o.connections);
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < o.connections; ++i)
    threads.emplace_back([&, i] { results[i] = run_connection(o, i); });
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  conn_result all;
  for (auto& r : results) {
    all.ops += r.ops;
    all.errors += r.errors;
    if (all.first_error.empty()) all.first_error = r.first_error;
    all.payload_bytes += r.payload_bytes;
    all.latencies_us.insert(all.latencies_us.end(), r.latencies_us.begin(), r.latencies_us.end());
  }
  auto p50 = percentile(all.latencies_us, 0.50), p99 = percentile(all.latencies_us, 0.99);
  fmt::print("op={} connections={} depth={} ops={} errors={} seconds={:.2f} ops_per_s={:.0f} MB_per_s={:.1f} "
             "p50_us={:.1f} p99_us={:.1f}\n",
             o.op, o.connections, o.depth, all.ops, all.errors, elapsed, static_cast<double>(all.ops) / elapsed,
             static_cast<double>(all.payload_bytes) / elapsed / 1e6, p50, p99);
  if (all.errors != 0) fmt::print("first error: {}\n", all.first_error.empty() ? "connection failed" : all.first_error);
  return all.errors == 0 ? 0 : 1;
}
