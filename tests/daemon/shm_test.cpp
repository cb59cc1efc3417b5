// The shared-memory bulk path (issue 12) against the real ferryd and stores: round trips through slots,
// values beyond ferryd's client record limit (so they cannot have crossed the socket), a hostile raw client
// (descriptors that are not sealed memfds, slots out of range or overlapping, bytes rewritten in flight,
// floods), and a client SIGKILLed mid-transfer (ferryd's descriptors and mappings back to baseline).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "daemon_fixture.hpp"
#include "xdr/record.hpp"

using namespace ferry;
using namespace ferry::daemon_test;
namespace pc = ferry::proto::client;
namespace rpc = ferry::xdr::rpc;

namespace {

/// A raw FERRY_CLIENT connection; write_all can pass a descriptor with a call (what libferry does for attach).
using shm_peer = raw_peer;

/// A memfd of `size` bytes, mapped; `seal` adds F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL.
struct test_region {
  int fd = -1;
  xdr::byte* base = nullptr;
  std::size_t size = 0;
  test_region(std::size_t n, bool seal) : size(n) {
    fd = ::memfd_create("ferry-shm-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, static_cast<off_t>(n)) == 0);
    if (seal) REQUIRE(::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0);
    void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    REQUIRE(p != MAP_FAILED);
    base = static_cast<xdr::byte*>(p);
  }
  ~test_region() {
    ::munmap(base, size);
    ::close(fd);
  }
  test_region(const test_region&) = delete;
  test_region& operator=(const test_region&) = delete;
};

rpc::reply reply_of(const std::optional<bytes>& rec) {
  REQUIRE(rec);
  auto r = rpc::decode_reply(*rec);
  REQUIRE(r);
  return *r;
}

/// The status of a ferry_reply / write_res / get_shm_res reply (all start with the status).
proto::status status_of(const std::optional<bytes>& rec) {
  auto r = reply_of(rec);
  REQUIRE(r.stat == rpc::reply_stat::accepted);
  REQUIRE(r.accepted == rpc::accept_stat::success);
  auto s = xdr::decode<proto::reply>(r.results);
  if (!s) {  // a write_res with a version arm: only the status matters here
    xdr::decoder d(r.results);
    auto code = d.u32();
    REQUIRE(code);
    return static_cast<proto::status>(*code);
  }
  return s->code;
}

bytes attach_call(std::uint32_t xid, std::uint64_t size) {
  return encode_call(xid, pc::program, pc::version, static_cast<std::uint32_t>(pc::shm_proc::attach),
                     pc::shm_attach_args{size});
}
bytes put_call(std::uint32_t xid, const std::string& key, std::uint64_t offset, std::uint32_t length) {
  pc::put_shm_args a{xdr::as_bytes(key), {offset, length}, 5000, {}, 0};
  a.id[0] = static_cast<xdr::byte>(xid);
  a.id[1] = static_cast<xdr::byte>(xid >> 8);
  a.id[2] = static_cast<xdr::byte>(xid >> 16);
  return encode_call(xid, pc::program, pc::version, static_cast<std::uint32_t>(pc::shm_proc::put), a);
}
bytes get_call(std::uint32_t xid, const std::string& key, std::uint64_t offset, std::uint32_t capacity) {
  return encode_call(xid, pc::program, pc::version, static_cast<std::uint32_t>(pc::shm_proc::get),
                     pc::get_shm_args{xdr::as_bytes(key), {offset, capacity}, 5000});
}

void fill(xdr::byte* p, std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<xdr::byte>(rng());
}

/// The process's open descriptors, as "fd -> target" lines (for a readable failure).
std::vector<std::string> open_fds(pid_t pid) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(e.path(), ec);
    out.push_back(e.path().filename().string() + " -> " + target.string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Mappings of client regions in the process (libferry names its memfds "ferry-shm").
std::size_t memfd_maps(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line))
    if (line.find("/memfd:ferry-shm") != std::string::npos) ++n;
  return n;
}

}  // namespace

TEST_CASE("values of 1 byte to 16 MiB go through shared-memory slots and come back byte-identical",
          "[ferryd][integration][shm]") {
  cluster cl(2, 2, 2, {"--metrics", "127.0.0.1:0"});
  REQUIRE(cl.ferryd.metrics_port != 0);
  test_region region(40u << 20, true);
  shm_peer peer(cl.ferryd.socket);
  peer.write_all(attach_call(1, region.size), region.fd);
  REQUIRE(status_of(peer.read_record()) == proto::status::ok);

  const std::vector<std::uint32_t> sizes{1, 2, 3, 4095, 4096, 4097, 65536, 1u << 20, (1u << 20) + 7, 16u << 20};
  std::uint32_t xid = 10;
  std::uint64_t downloaded = 0;
  for (auto n : sizes) {
    downloaded += n;
    INFO("size " << n);
    const auto key = "shm/rt/" + std::to_string(n);
    fill(region.base, n, n);
    peer.write_all(put_call(++xid, key, 0, n));
    REQUIRE(status_of(peer.read_record(30s)) == proto::status::ok);
    // Read back into another slot, away from the first.
    const std::uint64_t into = 20u << 20;
    std::memset(region.base + into, 0, n);
    peer.write_all(get_call(++xid, key, into, 16u << 20));
    auto rec = peer.read_record(30s);
    auto r = reply_of(rec);
    auto res = xdr::decode<pc::get_shm_res>(r.results);
    REQUIRE(res);
    REQUIRE(res->code == proto::status::ok);
    CHECK(res->value.length == n);
    CHECK(res->value.info.size == n);
    CHECK(std::memcmp(region.base, region.base + into, n) == 0);
    // What the stores hold is the same bytes.
    auto stored = stored_value(cl.stores[0].port, key);
    REQUIRE(stored);
    CHECK(stored->size() == n);
    CHECK(std::memcmp(stored->data(), region.base, n) == 0);
  }
  // Downloads: the store connection received the values straight into the slot (no copy inside ferryd),
  // except values whose whole reply came in one read before ferryd could tell where the value starts.
  {
    const auto text = http_get_metrics(cl.ferryd.metrics_port);
    const auto in_place = metric_value(text, "ferry_shm_download_bytes_in_place_total");
    const auto copied = metric_value(text, "ferry_shm_download_bytes_copied_total");
    INFO("in place " << in_place << ", copied " << copied << " of " << downloaded);
    CHECK(in_place + copied == static_cast<double>(downloaded));
    CHECK(copied < 64 * 1024);  // at most the few small values; every value of 1 MiB and more went in place
    CHECK(in_place >= static_cast<double>((1u << 20) + (1u << 20) + 7 + (16u << 20)));
  }
  // A slot smaller than the value: its length comes back, nothing is written.
  region.base[20u << 20] = 0x5A;
  peer.write_all(get_call(++xid, "shm/rt/65536", 20u << 20, 100));
  auto res = xdr::decode<pc::get_shm_res>(reply_of(peer.read_record()).results);
  REQUIRE(res);
  CHECK(res->code == proto::status::ok);
  CHECK(res->value.length == 65536);
  CHECK(region.base[20u << 20] == 0x5A);
  // A missing key through the shared path is NOT_FOUND.
  peer.write_all(get_call(++xid, "shm/rt/none", 0, 1000));
  CHECK(status_of(peer.read_record()) == proto::status::not_found);
}

TEST_CASE("libferry moves values far above ferryd's record limit through the region, which the socket cannot carry",
          "[ferryd][integration][shm][libferry]") {
  // ferryd takes records of at most 64 KiB from clients: a 16 MiB PUT can only work if its value does not
  // cross the socket. (That ferryd copies it nowhere on its way to the store is the session test's proof.)
  temp_dir conf;
  { std::ofstream(conf.file("ferryd.toml")) << "[limits]\nmax_record_bytes = 65536\n"; }
  cluster cl(1, 1, 1, {"--config", conf.file("ferryd.toml")});
  const pid_t ferryd_pid = cl.ferryd.proc->pid();
  client c(cl.ferryd.socket);
  constexpr std::size_t n = 16u << 20;
  std::string value(n, '\0');
  fill(reinterpret_cast<xdr::byte*>(value.data()), n, 7);
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = 30000;

  REQUIRE(ferry_put(c.handle(), "shm/lib/big", 11, value.data(), n, &o) == FERRY_OK);
  CHECK(memfd_maps(ferryd_pid) == 1);  // the first large call attached the connection's region
  std::string back(n, '\0');
  std::size_t got = 0;
  REQUIRE(ferry_get(c.handle(), "shm/lib/big", 11, back.data(), back.size(), &got, nullptr, &o) == FERRY_OK);
  CHECK(got == n);
  CHECK(back == value);
  CHECK(stored_value(cl.stores[0].port, "shm/lib/big") == value);

  // A buffer too small for the value: the size is reported, as on the socket path.
  std::string small(300u << 10, '\0');  // above the 256 KiB threshold: asked through the region
  REQUIRE(ferry_get(c.handle(), "shm/lib/big", 11, small.data(), small.size(), &got, nullptr, &o) ==
          FERRY_E_BUFFER_TOO_SMALL);
  CHECK(got == n);

  // The same value on the socket path is a record over the limit: that session is closed.
  raw_peer raw(cl.ferryd.socket);
  const auto call = encode_call(1, pc::program, pc::version, static_cast<std::uint32_t>(pc::proc::put),
                                pc::put_args{xdr::as_bytes(std::string_view("shm/lib/raw")),
                                             xdr::as_bytes(std::string_view(value).substr(0, 1u << 20)), 5000, {}, 0});
  bool closed = false;
  try {
    raw.write_all(call);
    closed = raw.closed_by_peer();
  } catch (const std::runtime_error&) {
    closed = true;  // closed while we were still writing (EPIPE)
  }
  CHECK(closed);
}

TEST_CASE("small socket calls and large shared-memory calls are pipelined on one handle by many threads",
          "[ferryd][integration][shm][libferry]") {
  cluster cl(2, 2, 2);
  client shared(cl.ferryd.socket);
  constexpr int threads = 6, calls = 12;
  std::atomic<int> wrong{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ferry_options o = FERRY_OPTIONS_INIT;
      o.deadline_ms = 30000;
      for (int i = 0; i < calls; ++i) {
        const bool large = (i + t) % 2 == 0;
        const std::size_t n = large ? (256u << 10) + static_cast<std::size_t>((t * 131071 + i * 65537) % (3u << 20))
                                    : static_cast<std::size_t>(1 + (t * 37 + i) % 500);
        std::string v(n, '\0');
        fill(reinterpret_cast<xdr::byte*>(v.data()), n, static_cast<std::uint32_t>(t * 1000 + i));
        const auto key = "shm/mix/" + std::to_string(t) + "/" + std::to_string(i);
        if (ferry_put(shared.handle(), key.data(), key.size(), v.data(), v.size(), &o) != FERRY_OK) {
          ++wrong;
          continue;
        }
        std::string back(large ? (4u << 20) : 1000, '\0');
        std::size_t got = 0;
        if (ferry_get(shared.handle(), key.data(), key.size(), back.data(), back.size(), &got, nullptr, &o) !=
                FERRY_OK ||
            got != n || std::memcmp(back.data(), v.data(), n) != 0)
          ++wrong;
      }
    });
  for (auto& th : pool) th.join();
  CHECK(wrong.load() == 0);
  CHECK(memfd_maps(cl.ferryd.proc->pid()) == 1);  // one handle, one connection, one region
}

TEST_CASE("a hostile client's descriptors and slots are refused for its session only while another session is served",
          "[ferryd][integration][shm][hostile]") {
  cluster cl(1, 1, 1);
  const pid_t ferryd_pid = cl.ferryd.proc->pid();
  std::uint32_t xid = 100;

  SECTION("calls naming slots before any attach, or an attach without a descriptor") {
    shm_peer peer(cl.ferryd.socket);
    peer.write_all(put_call(++xid, "h/k", 0, 10));
    CHECK(status_of(peer.read_record()) == proto::status::bad_request);
    peer.write_all(attach_call(++xid, 1u << 20));
    CHECK(status_of(peer.read_record()) == proto::status::bad_request);
  }
  SECTION("descriptors that are not sealed memfds: a pipe, a regular file, an unsealed memfd, a wrong size") {
    shm_peer peer(cl.ferryd.socket);
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    peer.write_all(attach_call(++xid, 4096), p[0]);
    CHECK(status_of(peer.read_record()) == proto::status::bad_request);
    ::close(p[0]);
    ::close(p[1]);

    temp_dir dir;
    int f = ::open(dir.file("plain").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    REQUIRE(f >= 0);
    REQUIRE(::ftruncate(f, 4096) == 0);
    peer.write_all(attach_call(++xid, 4096), f);
    CHECK(status_of(peer.read_record()) == proto::status::bad_request);
    ::close(f);

    test_region unsealed(1u << 20, false);
    peer.write_all(attach_call(++xid, unsealed.size), unsealed.fd);
    CHECK(status_of(peer.read_record()) == proto::status::bad_request);

    test_region sealed(1u << 20, true);
    peer.write_all(attach_call(++xid, sealed.size * 2), sealed.fd);
    CHECK(status_of(peer.read_record()) == proto::status::bad_request);
    // The sealed one really cannot shrink: the app cannot pull pages from under ferryd.
    CHECK(::ftruncate(sealed.fd, 4096) != 0);
    CHECK(errno == EPERM);
    // None of the refused regions stayed mapped or open in ferryd.
    CHECK(memfd_maps(ferryd_pid) == 0);
  }
  SECTION("slots out of range, overlapping, a second attach, bytes rewritten in flight, and a flood") {
    test_region region(4u << 20, true);
    shm_peer peer(cl.ferryd.socket);
    peer.write_all(attach_call(++xid, region.size), region.fd);
    REQUIRE(status_of(peer.read_record()) == proto::status::ok);
    test_region other(1u << 20, true);
    peer.write_all(attach_call(++xid, other.size), other.fd);
    CHECK(status_of(peer.read_record()) == proto::status::bad_request);

    peer.write_all(put_call(++xid, "h/out", region.size, 1));
    CHECK(status_of(peer.read_record()) == proto::status::bad_range);
    peer.write_all(put_call(++xid, "h/out", region.size - 10, 11));
    CHECK(status_of(peer.read_record()) == proto::status::bad_range);
    peer.write_all(put_call(++xid, "h/out", ~std::uint64_t{0} - 2, 100));  // offset + length wraps around
    CHECK(status_of(peer.read_record()) == proto::status::bad_range);
    peer.write_all(get_call(++xid, "h/out", ~std::uint64_t{0}, 0xFFFFFFFFu));
    CHECK(status_of(peer.read_record()) == proto::status::bad_range);

    // Two calls in one write whose slots overlap: the second is refused while the first is in flight.
    fill(region.base, 1u << 20, 3);
    auto both = put_call(++xid, "h/a", 0, 1u << 20);
    const auto first_xid = xid;
    auto second = put_call(++xid, "h/b", (1u << 20) - 1, 100);
    both.insert(both.end(), second.begin(), second.end());
    peer.write_all(both);
    std::map<std::uint32_t, proto::status> answers;
    for (int i = 0; i < 2; ++i) {
      auto rec = peer.read_record();
      answers[reply_of(rec).xid] = status_of(rec);
    }
    CHECK(answers[first_xid] == proto::status::ok);
    CHECK(answers[xid] == proto::status::bad_range);

    // The app rewrites the slot (and any "header" it might keep there) while ferryd sends it: the value
    // stored has the length named on the socket, made of bytes the app wrote; ferryd is unharmed.
    constexpr std::uint32_t n = 2u << 20;
    std::memset(region.base, 'A', n);
    peer.write_all(put_call(++xid, "h/rewritten", 0, n));
    std::atomic<bool> stop{false};
    std::thread scribbler([&] {
      for (int round = 0; round < 100000 && !stop.load(); ++round) std::memset(region.base, (round % 2) ? 'B' : 'A', n);
    });
    auto rewritten = status_of(peer.read_record(30s));
    stop = true;
    scribbler.join();
    CHECK(rewritten == proto::status::ok);
    auto stored = stored_value(cl.stores[0].port, "h/rewritten");
    REQUIRE(stored);
    CHECK(stored->size() == n);
    CHECK(stored->find_first_not_of("AB") == std::string::npos);

    // A flood: 3000 calls naming bad slots in a few writes; every one is answered, in order of arrival.
    bytes flood;
    const auto flood_first = xid + 1;
    for (int i = 0; i < 3000; ++i) {
      auto call = (i % 2) ? put_call(++xid, "h/f", region.size + static_cast<std::uint64_t>(i), 1)
                          : get_call(++xid, "h/f", region.size, 1);
      flood.insert(flood.end(), call.begin(), call.end());
    }
    std::thread other_session([&] { check_serves(cl.ferryd.socket, "h/other-session"); });
    peer.write_all(flood);
    std::size_t refused = 0;
    for (int i = 0; i < 3000; ++i) {
      auto rec = peer.read_record();
      if (!rec) break;
      auto r = reply_of(rec);
      if (r.xid >= flood_first && status_of(rec) == proto::status::bad_range) ++refused;
    }
    other_session.join();
    CHECK(refused == 3000);
    // And the session still serves good slots.
    fill(region.base, 1000, 9);
    peer.write_all(put_call(++xid, "h/after", 0, 1000));
    CHECK(status_of(peer.read_record()) == proto::status::ok);
  }
  check_serves(cl.ferryd.socket, "h/still-serving");
}

TEST_CASE("the [shm] table bounds a session's region and its slot calls in flight, and can switch the path off",
          "[ferryd][integration][shm][config]") {
  temp_dir conf;
  { std::ofstream(conf.file("ferryd.toml")) << "[shm]\nmax_region_bytes = 2097152\nmax_slots_in_flight = 2\n"; }
  cluster cl(1, 1, 1, {"--config", conf.file("ferryd.toml")});
  std::uint32_t xid = 500;
  shm_peer peer(cl.ferryd.socket);
  test_region big(4u << 20, true);
  peer.write_all(attach_call(++xid, big.size), big.fd);
  auto refused = peer.read_record();
  CHECK(status_of(refused) == proto::status::bad_request);  // larger than shm.max_region_bytes
  test_region region(2u << 20, true);
  peer.write_all(attach_call(++xid, region.size), region.fd);
  REQUIRE(status_of(peer.read_record()) == proto::status::ok);

  // The store stopped: two PUTs hold their slots; the third, in the same write, is over the limit and is
  // answered at once, while the first two wait for the store.
  fill(region.base, 3000, 5);
  cl.stores[0].proc->signal(SIGSTOP);
  auto calls = put_call(++xid, "cap/a", 0, 1000);
  for (std::uint64_t i = 1; i < 3; ++i) {
    auto c = put_call(++xid, "cap/" + std::to_string(i), i * 1000, 1000);
    calls.insert(calls.end(), c.begin(), c.end());
  }
  peer.write_all(calls);
  auto first = peer.read_record();
  CHECK(reply_of(first).xid == xid);
  CHECK(status_of(first) == proto::status::overloaded);
  cl.stores[0].proc->signal(SIGCONT);
  for (int i = 0; i < 2; ++i) CHECK(status_of(peer.read_record(30s)) == proto::status::ok);
  peer.write_all(put_call(++xid, "cap/again", 2000, 1000));  // the slots are free again
  CHECK(status_of(peer.read_record()) == proto::status::ok);

  // A ferryd started with enabled = false: attaches are refused, and libferry keeps
  // working over the socket alone.
  { std::ofstream(conf.file("off.toml")) << "[shm]\nenabled = false\n"; }
  cluster off(1, 1, 1, {"--config", conf.file("off.toml")});
  shm_peer probe(off.ferryd.socket);
  test_region r2(1u << 20, true);
  probe.write_all(attach_call(++xid, r2.size), r2.fd);
  CHECK(status_of(probe.read_record()) == proto::status::bad_request);
  client c(off.ferryd.socket);
  std::string value(1u << 20, 'q');
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = 20000;
  REQUIRE(ferry_put(c.handle(), "off/k", 5, value.data(), value.size(), &o) == FERRY_OK);
  CHECK(memfd_maps(off.ferryd.proc->pid()) == 0);
  std::string back(value.size(), '\0');
  std::size_t got = 0;
  REQUIRE(ferry_get(c.handle(), "off/k", 5, back.data(), back.size(), &got, nullptr, &o) == FERRY_OK);
  CHECK(back == value);
}

TEST_CASE("a client SIGKILLed mid-transfer leaves ferryd with its descriptors and mappings back at baseline",
          "[ferryd][integration][shm]") {
  cluster cl(1, 1, 1);
  const pid_t ferryd_pid = cl.ferryd.proc->pid();
  check_serves(cl.ferryd.socket, "kill/warm");
  REQUIRE(eventually([&] { return memfd_maps(ferryd_pid) == 0; }));
  // Sessions of earlier clients close asynchronously: the baseline is the count once none is open.
  std::vector<std::string> fds_before;
  REQUIRE(eventually([&] {
    auto now = open_fds(ferryd_pid);
    bool settled = now == fds_before;
    fds_before = std::move(now);
    return settled;
  }, 10s, 100ms));

  int ready[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  const std::string socket = cl.ferryd.socket;
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(ready[0]);
    ferry_t* h = nullptr;
    if (ferry_open(socket.c_str(), &h) != FERRY_OK) ::_exit(2);
    std::string v(8u << 20, 'k');
    ferry_options o = FERRY_OPTIONS_INIT;
    o.deadline_ms = 20000;
    if (ferry_put(h, "kill/a", 6, v.data(), v.size(), &o) != FERRY_OK) ::_exit(3);
    char one = 1;
    if (::write(ready[1], &one, 1) != 1) ::_exit(4);
    for (int i = 0; i < 100000; ++i) (void)ferry_put(h, "kill/b", 6, v.data(), v.size(), &o);  // until killed
    ::_exit(0);
  }
  ::close(ready[1]);
  char got = 0;
  pollfd p{ready[0], POLLIN, 0};
  REQUIRE(::poll(&p, 1, 20000) == 1);
  REQUIRE(::read(ready[0], &got, 1) == 1);
  ::close(ready[0]);
  CHECK(memfd_maps(ferryd_pid) == 1);
  ::kill(child, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(eventually([&] { return memfd_maps(ferryd_pid) == 0; }, 15s));
  std::vector<std::string> fds_after;
  CHECK(eventually([&] { return (fds_after = open_fds(ferryd_pid)).size() <= fds_before.size(); }, 15s));
  INFO("ferryd's descriptors before:\n" << Catch::Detail::stringify(fds_before) << "\nafter:\n"
                                          << Catch::Detail::stringify(fds_after));
  CHECK(fds_after.size() <= fds_before.size());
  check_serves(cl.ferryd.socket, "kill/after");
}

TEST_CASE("a forked child never touches its parent's region: it attaches its own, and the parent's keeps working",
          "[ferryd][integration][shm][libferry]") {
  cluster cl(1, 1, 1);
  const pid_t ferryd_pid = cl.ferryd.proc->pid();
  client parent(cl.ferryd.socket);
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = 20000;
  std::string pv(1u << 20, 'p');
  REQUIRE(ferry_put(parent.handle(), "fork/p", 6, pv.data(), pv.size(), &o) == FERRY_OK);
  REQUIRE(memfd_maps(ferryd_pid) == 1);

  int go[2];
  REQUIRE(::pipe2(go, O_CLOEXEC) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The handle opened before fork: its connection (and region) are the parent's. The region is not even
    // mapped here (MADV_DONTFORK), so using it would crash: the child must make its own.
    ::close(go[0]);
    ferry_t* h = parent.handle();
    std::string cv(2u << 20, 'c');
    if (ferry_put(h, "fork/c", 6, cv.data(), cv.size(), &o) != FERRY_OK) ::_exit(2);
    std::string back(4u << 20, '\0');
    std::size_t got = 0;
    if (ferry_get(h, "fork/c", 6, back.data(), back.size(), &got, nullptr, &o) != FERRY_OK) ::_exit(3);
    if (got != cv.size() || back.compare(0, got, cv) != 0) ::_exit(4);
    char one = 1;
    if (::write(go[1], &one, 1) != 1) ::_exit(5);
    for (;;) ::pause();  // alive (with its session) until the parent has looked at ferryd and kills it
  }
  ::close(go[1]);
  pollfd p{go[0], POLLIN, 0};
  REQUIRE(::poll(&p, 1, 20000) == 1);
  char got_one = 0;
  if (::read(go[0], &got_one, 1) != 1) {
    int st = 0;
    ::waitpid(child, &st, 0);
    FAIL("the child failed with exit status " << WEXITSTATUS(st));
  }
  CHECK(memfd_maps(ferryd_pid) == 2);  // the parent's region and the child's own
  ::close(go[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  std::string back(2u << 20, '\0');
  std::size_t got = 0;
  REQUIRE(ferry_get(parent.handle(), "fork/p", 6, back.data(), back.size(), &got, nullptr, &o) == FERRY_OK);
  CHECK(back.compare(0, got, pv) == 0);
  CHECK(eventually([&] { return memfd_maps(ferryd_pid) == 1; }));
}

TEST_CASE("a large object is uploaded in chunks and read back in ranges through the region, byte-identical",
          "[ferryd][integration][shm][libferry]") {
  // 48 MiB by default; FERRY_SHM_TEST_BIG_MIB=256 for the full size (memory: about 3x the size here).
  std::size_t mib = 48;
  if (const char* e = std::getenv("FERRY_SHM_TEST_BIG_MIB")) mib = std::strtoul(e, nullptr, 10);
  const std::size_t n = mib << 20;
  // A 64 KiB client record limit: 1 MiB chunks can only arrive through the region.
  temp_dir conf;
  { std::ofstream(conf.file("ferryd.toml")) << "[limits]\nmax_record_bytes = 65536\n"; }
  cluster cl(1, 1, 1, {"--config", conf.file("ferryd.toml")});
  client c(cl.ferryd.socket);
  std::string value(n, '\0');
  fill(reinterpret_cast<xdr::byte*>(value.data()), n, 256);
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = 60000;

  ferry_upload* up = nullptr;
  REQUIRE(ferry_upload_open(c.handle(), "shm/big", 7, n, &up, &o) == FERRY_OK);
  // Several writes of odd sizes, as an application streaming from a file would.
  const std::size_t piece = (5u << 20) + 12345;
  for (std::size_t at = 0; at < n; at += piece)
    REQUIRE(ferry_upload_write(up, at, value.data() + at, std::min(piece, n - at), &o) == FERRY_OK);
  ferry_object_info info{};
  REQUIRE(ferry_upload_commit(up, n, &info, &o) == FERRY_OK);
  CHECK(info.size == n);
  CHECK(memfd_maps(cl.ferryd.proc->pid()) == 1);

  std::string back(n, '\0');
  std::size_t at = 0;
  int eof = 0;
  for (int guard = 0; !eof && guard < 100000; ++guard) {
    std::size_t got = 0;
    const std::size_t want = std::min<std::size_t>(3u << 20, n - at + 1);
    REQUIRE(ferry_read(c.handle(), "shm/big", 7, at, back.data() + at, std::min(want, n - at), &got, &eof, nullptr, &o) ==
            FERRY_OK);
    at += got;
    if (at == n) break;
    REQUIRE(got != 0);
  }
  CHECK(at == n);
  CHECK(back == value);
}

TEST_CASE("with W < R a replica stalled mid-write is cut off before the deadline, so the shared-memory PUT is OK in time",
          "[ferryd][integration][shm][libferry]") {
  // The router answers at the quorum, but the stalled replica's store call still references the slot (16
  // MiB cannot fit in the kernel's socket buffers), and the reply, after which the app may rewrite the
  // slot, waits until nothing references it. With W < R the replicas' calls end a reserve before the client's
  // deadline (a tenth, at most 100 ms); the stalled call's bytes were never all written, so rpc_connection
  // closes that connection, which drops its bytes and frees the slot: the PUT is answered OK before the
  // client gives up, and the stalled store reconnects when it runs again.
  cluster cl(2, 2, 1);
  client c(cl.ferryd.socket);
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = 20000;
  std::string v(16u << 20, 'w');
  REQUIRE(ferry_put(c.handle(), "wq/warm", 7, v.data(), 1u << 20, &o) == FERRY_OK);  // attaches the region

  cl.stores[1].proc->signal(SIGSTOP);
  ferry_options quick = FERRY_OPTIONS_INIT;
  quick.deadline_ms = 2000;
  std::fill(v.begin(), v.end(), 's');
  const int rc = ferry_put(c.handle(), "wq/k", 4, v.data(), v.size(), &quick);
  cl.stores[1].proc->signal(SIGCONT);
  CHECK(rc == FERRY_OK);
  CHECK(stored_value(cl.stores[0].port, "wq/k") == v);
  // The slot is free again and the region keeps working; a write needing both replicas succeeds once the
  // stalled store's connection is back.
  std::fill(v.begin(), v.end(), 't');
  REQUIRE(ferry_put(c.handle(), "wq/again", 8, v.data(), 1u << 20, &o) == FERRY_OK);
  check_serves(cl.ferryd.socket, "wq/after");
}
