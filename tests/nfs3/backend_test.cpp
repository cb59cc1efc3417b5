// nfs3_backend against a real nfs-ganesha: every FERRY_STORE operation, the on-disk mapping seen from
// the export directory itself, versions in mtime, rpcbind discovery, an unreachable server, durable
// writes (UNSTABLE + COMMIT, resent when a tapped link changes the write verifier), UMNT at shutdown.
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "actors/nfs3/nfs3_backend.hpp"
#include "actors/nfs3/object_path.hpp"
#include "actors/rpc_connection/tcp_link.hpp"
#include "ganesha_server.hpp"
#include "rpc_tap.hpp"
#include "transport/io_thread.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/nfs3.hpp"
#include "xdr/protocol/store.hpp"

using namespace std::chrono_literals;
using namespace ferry;
using namespace ferry::actors;
namespace ps = proto::store;
using proto::status;
using bytes = std::vector<xdr::byte>;

namespace {

constexpr auto bound = 15s;  // the longest any single wait may take

struct rig {
  test::ganesha_server nfs;
  transport::io_thread io;  // outlives the actor system, hence every link
  std::shared_ptr<test::rpc_tap> tap = std::make_shared<test::rpc_tap>();  // every link of every backend
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self;

  rig() {
    cfg = std::make_unique<caf::actor_system_config>();
    cfg->set("scheduler.policy", caf::atom("sharing"));
    cfg->set("scheduler.max-threads", 2);
    add_rpc_error_category(*cfg);
    sys = std::make_unique<caf::actor_system>(*cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
  }
  ~rig() {
    self.reset();
    sys.reset();
  }

  caf::actor backend(std::uint16_t nfs_port, std::uint16_t mount_port) {
    nfs3_backend_config c;
    c.server = "nfs-under-test";
    c.export_path = "/export";
    c.nfs_port = nfs_port;
    c.mount_port = mount_port;
    c.backoff = {20ms, 200ms, 0.2};
    c.connect_timeout = 1s;
    c.setup_timeout = 2s;
    c.listener = caf::actor_cast<caf::actor>(self->ptr());
    c.links = [this](std::uint16_t port) {
      return tap->wrap(tcp_link_factory(io.context(), {"127.0.0.1", port, {}}));
    };
    return spawn_nfs3_backend(*sys, c);
  }

  /// True (with a warning naming why) when no ganesha could be started here: the test returns.
  bool skipped() const {
    if (!nfs.running()) WARN("SKIPPED: " << nfs.skip_reason());
    return !nfs.running();
  }

  /// A backend on the fixture's ganesha with its ports given, once it reports up.
  caf::actor ready_backend() {
    auto b = backend(nfs.nfs_port(), nfs.mount_port());
    REQUIRE(wait_state(true));
    return b;
  }

  bool wait_state(bool connected) {
    bool seen = false;
    (*self)->receive([&](connection_state_changed& ev) { seen = ev.connected == connected; },
                     caf::after(bound) >> [] {});
    return seen;
  }

  // One FERRY_STORE call; the reply's record decoded as Res (status checked by the caller).
  template <class Res, class Args>
  Res call(const caf::actor& b, ps::proc p, const Args& args, std::vector<std::shared_ptr<const void>> owners = {}) {
    auto req = make_store_request(p, args, std::move(owners));
    Res out{};
    keep.reset();
    (*self)->request(b, bound, rpc_call{req.proc, req.args, 10s})
        .receive(
            [&](rpc_reply& r) {
              keep = r.record;
              auto d = xdr::decode<Res>(r.results());
              REQUIRE(d);
              out = *d;
            },
            [&](caf::error& e) { FAIL("rpc error: " << sys->render(e)); });
    return out;
  }
  shared_bytes keep;  // the last reply record: decoded views point into it

  /// NFSv3 procedure `proc` calls sent so far, by every backend of this rig.
  std::size_t nfs_sent(std::uint32_t proc) const { return tap->sent(proto::nfs3::program, proc); }

  /// Sends `b` an exit and waits until it is gone; how long that took.
  std::chrono::steady_clock::duration stop(const caf::actor& b, caf::exit_reason why) {
    (*self)->monitor(b);
    const auto start = std::chrono::steady_clock::now();
    caf::anon_send_exit(b, why);
    bool down = false;
    (*self)->receive([&](caf::down_msg&) { down = true; }, caf::after(bound) >> [] {});
    REQUIRE(down);
    return std::chrono::steady_clock::now() - start;
  }
};

bool no_temporaries(const std::filesystem::path& dir) {
  for (auto& d : std::filesystem::recursive_directory_iterator(dir))
    if (d.path().filename().string().rfind(".ferry-tmp-", 0) == 0) return false;
  return true;
}

std::string text(xdr::bytes_view b) { return std::string{xdr::as_chars(b)}; }

std::filesystem::path on_disk(const test::ganesha_server& nfs, const std::string& key) {
  auto p = nfs3::path_of(xdr::as_bytes(key));
  return nfs.export_dir() / p->dir / p->name;
}

std::string file_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

ps::put_args put(const std::string& key, const std::string& value, std::uint64_t hlc) {
  return {xdr::as_bytes(key), xdr::as_bytes(value), {hlc, 7}};
}

constexpr std::uint64_t hlc_at(std::uint64_t ms, std::uint64_t logical = 0) { return ms << 16 | logical; }

}  // namespace

TEST_CASE("the NFS backend performs every FERRY_STORE operation on a real nfs-ganesha", "[nfs3][integration]") {
  rig r;
  if (r.skipped()) return;
  auto b = r.ready_backend();
  const auto t0 = hlc_at(1764000000000ull);

  SECTION("put, get, stat, versions in mtime, conflicts, delete") {
    auto w = r.call<proto::write_res>(b, ps::proc::put, put("greeting", "hello nfs", t0 + 5));
    REQUIRE(w.code == status::ok);
    CHECK(w.ver == proto::version{t0 + 5, 7});
    CHECK(file_text(on_disk(r.nfs, "greeting")) == "hello nfs");

    auto g = r.call<proto::get_res>(b, ps::proc::get, ps::key_args{xdr::as_bytes(std::string("greeting"))});
    REQUIRE(g.code == status::ok);
    CHECK(text(g.found.data) == "hello nfs");
    CHECK(g.found.info.ver.hlc == t0 + 5);  // the HLC is exact; the writer is not kept (README)
    CHECK(g.found.info.size == 9);

    auto older = r.call<proto::write_res>(b, ps::proc::put, put("greeting", "stale", t0 + 1));
    CHECK(older.code == status::conflict);
    CHECK(older.ver.hlc == t0 + 5);
    CHECK(file_text(on_disk(r.nfs, "greeting")) == "hello nfs");

    auto newer = r.call<proto::write_res>(b, ps::proc::put, put("greeting", "replaced", t0 + 9));
    CHECK(newer.code == status::ok);
    auto s = r.call<proto::stat_res>(b, ps::proc::stat, ps::key_args{xdr::as_bytes(std::string("greeting"))});
    REQUIRE(s.code == status::ok);
    CHECK(s.info.size == 8);
    CHECK(s.info.ver.hlc == t0 + 9);

    auto del_old = r.call<proto::write_res>(b, ps::proc::del, ps::delete_args{xdr::as_bytes(std::string("greeting")), {t0 + 2, 7}});
    CHECK(del_old.code == status::conflict);
    auto del = r.call<proto::write_res>(b, ps::proc::del, ps::delete_args{xdr::as_bytes(std::string("greeting")), {t0 + 20, 7}});
    CHECK(del.code == status::ok);
    CHECK_FALSE(std::filesystem::exists(on_disk(r.nfs, "greeting")));
    auto gone = r.call<proto::get_res>(b, ps::proc::get, ps::key_args{xdr::as_bytes(std::string("greeting"))});
    CHECK(gone.code == status::not_found);
    auto del_again = r.call<proto::write_res>(b, ps::proc::del, ps::delete_args{xdr::as_bytes(std::string("greeting")), {t0 + 21, 7}});
    CHECK(del_again.code == status::ok);
    // No temporary is left behind by any of this.
    for (auto& d : std::filesystem::recursive_directory_iterator(r.nfs.export_dir()))
      CHECK(d.path().filename().string().rfind(".ferry-tmp-", 0) != 0);
  }

  SECTION("unsafe keys are stored under an encoded name and listed back as themselves, in key order") {
    const std::vector<std::string> keys = {"../../etc/passwd", "dir/a", "dir/b", "dir/c d", "other"};
    for (const auto& k : keys) REQUIRE(r.call<proto::write_res>(b, ps::proc::put, put(k, "v:" + k, t0)).code == status::ok);
    CHECK(std::filesystem::exists(on_disk(r.nfs, "../../etc/passwd")));
    CHECK(on_disk(r.nfs, "../../etc/passwd").filename().string().front() == '=');
    CHECK_FALSE(std::filesystem::exists("/etc/passwd.ferry"));

    auto l = r.call<proto::list_res>(b, ps::proc::list, ps::list_args{xdr::as_bytes(std::string("dir/")), {}, 2});
    REQUIRE(l.code == status::ok);
    REQUIRE(l.page.entries.size() == 2);
    CHECK(text(l.page.entries[0].key) == "dir/a");
    CHECK(text(l.page.entries[1].key) == "dir/b");
    CHECK(l.page.more);
    auto cursor = text(l.page.next_cursor);
    auto l2 = r.call<proto::list_res>(b, ps::proc::list,
                                      ps::list_args{xdr::as_bytes(std::string("dir/")), xdr::as_bytes(cursor), 2});
    REQUIRE(l2.code == status::ok);
    REQUIRE(l2.page.entries.size() == 1);
    CHECK(text(l2.page.entries[0].key) == "dir/c d");
    CHECK_FALSE(l2.page.more);
    auto all = r.call<proto::list_res>(b, ps::proc::list, ps::list_args{{}, {}, 0});
    REQUIRE(all.page.entries.size() == keys.size());
    CHECK(text(all.page.entries[0].key) == "../../etc/passwd");
    auto g = r.call<proto::get_res>(b, ps::proc::get, ps::key_args{xdr::as_bytes(keys[0])});
    CHECK(text(g.found.data) == "v:../../etc/passwd");
  }

  SECTION("a file placed by hand at the mapped path is an object, versioned by its mtime") {
    auto path = on_disk(r.nfs, "by-hand.txt");
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << "written without ferry";
    auto g = r.call<proto::get_res>(b, ps::proc::get, ps::key_args{xdr::as_bytes(std::string("by-hand.txt"))});
    REQUIRE(g.code == status::ok);
    CHECK(text(g.found.data) == "written without ferry");
    auto now_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    CHECK(g.found.info.ver.hlc >> 16 <= now_ms);
    CHECK((g.found.info.ver.hlc >> 16) > now_ms - 60000);
  }

  SECTION("a chunked upload lands whole and reads back in ranges; a key too long for NFS is BAD_KEY") {
    bytes data(3 * 1048576 + 12345);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<xdr::byte>(i * 31 + i / 7);
    auto open = r.call<proto::write_open_res>(b, ps::proc::write_open,
                                              ps::write_open_args{xdr::as_bytes(std::string("big.bin")), {t0 + 3, 7}, data.size()});
    REQUIRE(open.code == status::ok);
    const auto id = open.up.upload_id;
    const std::size_t chunk = 1048576;
    const auto commits_before = r.nfs_sent(proto::nfs3::procs::commit);
    // Out of order, as a pipelining router may deliver them.
    for (std::size_t at : {2 * chunk, 0 * chunk, 3 * chunk, 1 * chunk}) {
      auto n = std::min(chunk, data.size() - at);
      auto c = r.call<proto::reply>(b, ps::proc::write_chunk,
                                    ps::write_chunk_args{id, at, xdr::bytes_view{data}.subspan(at, n)});
      REQUIRE(c.code == status::ok);
    }
    // Each chunk was acknowledged after its COMMIT (ganesha answers UNSTABLE WRITEs UNSTABLE).
    CHECK(r.nfs_sent(proto::nfs3::procs::commit) - commits_before == 4);
    auto bad = r.call<proto::write_res>(b, ps::proc::write_commit, ps::write_commit_args{id + 1000, data.size()});
    CHECK(bad.code == status::no_upload);
    auto done = r.call<proto::write_res>(b, ps::proc::write_commit, ps::write_commit_args{id, data.size()});
    REQUIRE(done.code == status::ok);
    CHECK(std::filesystem::file_size(on_disk(r.nfs, "big.bin")) == data.size());
    auto rd = r.call<proto::read_res>(b, ps::proc::read, ps::read_args{xdr::as_bytes(std::string("big.bin")), 1048570, 100});
    REQUIRE(rd.code == status::ok);
    CHECK(bytes(rd.data.data.begin(), rd.data.data.end()) == bytes(data.begin() + 1048570, data.begin() + 1048670));
    CHECK_FALSE(rd.data.eof);
    auto tail = r.call<proto::read_res>(b, ps::proc::read, ps::read_args{xdr::as_bytes(std::string("big.bin")), data.size() - 10, 100});
    CHECK(tail.data.data.size() == 10);
    CHECK(tail.data.eof);
    auto past = r.call<proto::read_res>(b, ps::proc::read, ps::read_args{xdr::as_bytes(std::string("big.bin")), data.size() + 1, 1});
    CHECK(past.code == status::bad_range);
    auto g = r.call<proto::get_res>(b, ps::proc::get, ps::key_args{xdr::as_bytes(std::string("big.bin"))});
    REQUIRE(g.code == status::ok);
    CHECK(bytes(g.found.data.begin(), g.found.data.end()) == data);

    auto aborted = r.call<proto::write_open_res>(b, ps::proc::write_open,
                                                 ps::write_open_args{xdr::as_bytes(std::string("never")), {t0, 7}, 1});
    REQUIRE(aborted.code == status::ok);
    CHECK(r.call<proto::reply>(b, ps::proc::write_abort, ps::write_abort_args{aborted.up.upload_id}).code == status::ok);
    auto never = r.call<proto::stat_res>(b, ps::proc::stat, ps::key_args{xdr::as_bytes(std::string("never"))});
    CHECK(never.code == status::not_found);

    std::string long_key(300, '\x01');
    CHECK(r.call<proto::write_res>(b, ps::proc::put, put(long_key, "x", t0)).code == status::bad_key);
  }

  SECTION("HEALTH reports the export's free space and the counters count NFS calls") {
    auto h = r.call<ps::health>(b, ps::proc::health, proto::nfs3::empty{});
    CHECK(h.bytes_free > 0);
    rpc_connection_stats st;
    (*r.self)->request(b, bound, rpc_stats_atom::value).receive([&](rpc_connection_stats& s) { st = s; },
                                                                [&](caf::error& e) { FAIL(r.sys->render(e)); });
    CHECK(st.connected);
    CHECK(st.calls >= 1);
    CHECK(st.latency.count() >= 1);
  }
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("without ports the NFS backend asks rpcbind for them", "[nfs3][integration]") {
  rig r;
  if (r.skipped()) return;
  auto b = r.backend(0, 0);
  REQUIRE(r.wait_state(true));
  CHECK(r.call<proto::write_res>(b, ps::proc::put, put("found-by-rpcbind", "yes", hlc_at(1))).code == status::ok);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("an unreachable NFS server fails calls fast as unavailable and never reports up", "[nfs3][integration]") {
  transport::io_thread io;
  caf::actor_system_config cfg;
  add_rpc_error_category(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  nfs3_backend_config c;
  c.server = "nowhere";
  c.export_path = "/export";
  c.nfs_port = 1;  // nothing listens on loopback port 1
  c.mount_port = 1;
  c.backoff = {20ms, 100ms, 0.2};
  c.listener = self;
  c.links = [&io](std::uint16_t port) { return tcp_link_factory(io.context(), {"127.0.0.1", port, {}}); };
  auto b = spawn_nfs3_backend(sys, c);
  auto req = make_store_request(ps::proc::get, ps::key_args{xdr::as_bytes(std::string("k"))});
  auto started = std::chrono::steady_clock::now();
  bool unavailable = false;
  self->request(b, bound, rpc_call{req.proc, req.args, 5s})
      .receive([&](rpc_reply&) {},
               [&](caf::error& e) {
                 unavailable = e.category() == rpc_errc_category && e.code() == static_cast<std::uint8_t>(rpc_errc::unavailable);
               });
  CHECK(unavailable);
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  bool came_up = false;
  self->receive([&](connection_state_changed& ev) { came_up = ev.connected; }, caf::after(300ms) >> [] {});
  CHECK_FALSE(came_up);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("a hung NFS server gets each call answered timedout within its timeout, and it recovers", "[nfs3][integration]") {
  rig r;
  if (r.skipped()) return;
  auto b = r.ready_backend();
  REQUIRE(r.call<proto::write_res>(b, ps::proc::put, put("before-hang", "x", hlc_at(5))).code == status::ok);
  r.nfs.pause();
  auto req = make_store_request(ps::proc::get, ps::key_args{xdr::as_bytes(std::string("before-hang"))});
  const auto started = std::chrono::steady_clock::now();
  bool timed_out = false;
  (*r.self)->request(b, bound, rpc_call{req.proc, req.args, 400ms})
      .receive([&](rpc_reply&) {},
               [&](caf::error& e) {
                 timed_out = e.category() == rpc_errc_category && e.code() == static_cast<std::uint8_t>(rpc_errc::timedout);
               });
  const auto took = std::chrono::steady_clock::now() - started;
  r.nfs.resume();
  CHECK(timed_out);
  CHECK(took >= 350ms);
  CHECK(took < 1500ms);
  auto g = r.call<proto::get_res>(b, ps::proc::get, ps::key_args{xdr::as_bytes(std::string("before-hang"))});
  CHECK(g.code == status::ok);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("a backend that ends answers every call still open", "[nfs3][integration]") {
  rig r;
  if (r.skipped()) return;
  auto b = r.ready_backend();
  r.nfs.pause();  // calls stay open inside the backend
  auto req = make_store_request(ps::proc::stat, ps::key_args{xdr::as_bytes(std::string("k"))});
  constexpr int n = 5;
  for (int i = 0; i < n; ++i) (*r.self)->send(b, rpc_call{req.proc, req.args, 10s});
  caf::anon_send_exit(b, caf::exit_reason::kill);
  int answered = 0;
  for (int i = 0; i < n; ++i)
    (*r.self)->receive([&](caf::error&) { ++answered; }, [&](rpc_reply&) { ++answered; }, caf::after(bound) >> [] {});
  r.nfs.resume();
  CHECK(answered == n);
}

TEST_CASE("concurrent writes of one key through one backend leave the newest version, whatever their order",
          "[nfs3][integration]") {
  rig r;
  if (r.skipped()) return;
  auto b = r.ready_backend();
  // Versions 1..24 sent at once in a shuffled order, with a DELETE of version 10 among them.
  std::vector<std::uint64_t> order(24);
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i + 1;
  std::uint32_t x = 2024;
  for (std::size_t i = order.size() - 1; i > 0; --i) {
    x = x * 1103515245 + 12345;
    std::swap(order[i], order[(x >> 8) % (i + 1)]);
  }
  const std::string key = "contended";
  std::vector<std::string> values;
  for (auto v : order) values.push_back("value " + std::to_string(v));
  for (std::size_t i = 0; i < order.size(); ++i) {
    auto req = make_store_request(ps::proc::put, put(key, values[i], hlc_at(1000 + order[i])));
    (*r.self)->send(b, rpc_call{req.proc, req.args, 10s});
  }
  auto del = make_store_request(ps::proc::del, ps::delete_args{xdr::as_bytes(key), {hlc_at(1010), 7}});
  (*r.self)->send(b, rpc_call{del.proc, del.args, 10s});
  int answered = 0;
  for (std::size_t i = 0; i < order.size() + 1; ++i)
    (*r.self)->receive([&](rpc_reply&) { ++answered; }, [&](caf::error& e) { FAIL(r.sys->render(e)); },
                       caf::after(bound) >> [] {});
  CHECK(answered == static_cast<int>(order.size() + 1));
  auto g = r.call<proto::get_res>(b, ps::proc::get, ps::key_args{xdr::as_bytes(key)});
  REQUIRE(g.code == status::ok);
  CHECK(g.found.info.ver.hlc == hlc_at(1024));
  CHECK(text(g.found.data) == "value 24");
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
}

namespace {

bytes pattern(std::size_t n, unsigned seed) {
  bytes d(n);
  for (std::size_t i = 0; i < n; ++i) d[i] = static_cast<xdr::byte>(i * 131 + seed * 7 + i / 4099);
  return d;
}

}  // namespace

TEST_CASE("a write verifier that changed before COMMIT makes the backend write every piece again, and the bytes "
          "read back identical",
          "[nfs3][integration][durability]") {
  rig r;
  if (r.skipped()) return;
  auto b = r.ready_backend();
  namespace procs = proto::nfs3::procs;

  SECTION("a PUT of several MiB, more than one WRITE piece") {
    const auto data = pattern(5 * 1048576 + 4321, 1);
    // Once without interference: pieces UNSTABLE, one COMMIT.
    auto writes = r.nfs_sent(procs::write), commits = r.nfs_sent(procs::commit);
    REQUIRE(r.call<proto::write_res>(b, ps::proc::put, ps::put_args{xdr::as_bytes(std::string("steady")), data, {hlc_at(2), 7}})
                .code == status::ok);
    const auto pieces = r.nfs_sent(procs::write) - writes;
    CHECK(pieces > 1);
    CHECK(r.nfs_sent(procs::commit) - commits == 1);

    // The first COMMIT answers another verifier, as after a server restart: every piece again, a second COMMIT.
    r.tap->change_commit_verifiers(1);
    writes = r.nfs_sent(procs::write);
    commits = r.nfs_sent(procs::commit);
    auto w = r.call<proto::write_res>(b, ps::proc::put, ps::put_args{xdr::as_bytes(std::string("resent")), data, {hlc_at(3), 7}});
    REQUIRE(w.code == status::ok);
    CHECK(r.nfs_sent(procs::write) - writes == 2 * pieces);
    CHECK(r.nfs_sent(procs::commit) - commits == 2);
    auto g = r.call<proto::get_res>(b, ps::proc::get, ps::key_args{xdr::as_bytes(std::string("resent"))});
    REQUIRE(g.code == status::ok);
    CHECK(bytes(g.found.data.begin(), g.found.data.end()) == data);
    CHECK(no_temporaries(r.nfs.export_dir()));
  }

  SECTION("an upload chunk is resent alone; the chunks acknowledged before stay as they were") {
    const auto data = pattern(3 * 1048576, 2);
    auto open = r.call<proto::write_open_res>(
        b, ps::proc::write_open, ps::write_open_args{xdr::as_bytes(std::string("uploaded")), {hlc_at(4), 7}, data.size()});
    REQUIRE(open.code == status::ok);
    const std::size_t chunk = 1048576;
    for (std::size_t at = 0; at < data.size(); at += chunk) {
      if (at == chunk) r.tap->change_commit_verifiers(1);  // the second chunk meets a "restart"
      const auto writes = r.nfs_sent(procs::write);
      auto c = r.call<proto::reply>(b, ps::proc::write_chunk,
                                    ps::write_chunk_args{open.up.upload_id, at, xdr::bytes_view{data}.subspan(at, chunk)});
      REQUIRE(c.code == status::ok);
      CHECK(r.nfs_sent(procs::write) - writes == (at == chunk ? 2u : 1u));  // ganesha's wtpref is 1 MiB
    }
    REQUIRE(r.call<proto::write_res>(b, ps::proc::write_commit, ps::write_commit_args{open.up.upload_id, data.size()}).code ==
            status::ok);
    auto g = r.call<proto::get_res>(b, ps::proc::get, ps::key_args{xdr::as_bytes(std::string("uploaded"))});
    REQUIRE(g.code == status::ok);
    CHECK(bytes(g.found.data.begin(), g.found.data.end()) == data);
  }

  SECTION("a verifier that changes in every round fails the PUT IO_ERROR, naming why, and stores nothing") {
    const auto data = pattern(2 * 1048576, 3);
    r.tap->change_commit_verifiers(3);
    const auto commits = r.nfs_sent(procs::commit);
    auto w = r.call<proto::write_res>(b, ps::proc::put, ps::put_args{xdr::as_bytes(std::string("never-durable")), data, {hlc_at(5), 7}});
    CHECK(w.code == status::io_error);
    CHECK_THAT(std::string(w.detail), Catch::Contains("write verifier changed 3 times"));
    CHECK(r.nfs_sent(procs::commit) - commits == 3);
    auto s = r.call<proto::stat_res>(b, ps::proc::stat, ps::key_args{xdr::as_bytes(std::string("never-durable"))});
    CHECK(s.code == status::not_found);
    // The failed op removes its temporary (REMOVE, best effort, answered to nobody): wait for it.
    const auto until = std::chrono::steady_clock::now() + bound;
    while (!no_temporaries(r.nfs.export_dir()) && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(10ms);
    CHECK(no_temporaries(r.nfs.export_dir()));
  }
  r.stop(b, caf::exit_reason::user_shutdown);
}

TEST_CASE("a backend told to shut down unmounts the export but a killed one does not, and neither waits long",
          "[nfs3][integration][umount]") {
  rig r;
  if (r.skipped()) return;
  const auto mnt = proto::nfs3::mount_program;
  namespace procs = proto::nfs3::procs;

  SECTION("user_shutdown: UMNT of the export, answered by the server") {
    auto b = r.ready_backend();
    CHECK(r.tap->answered(mnt, procs::mnt) == 1);
    CHECK(r.tap->sent(mnt, procs::umnt) == 0);
    const auto took = r.stop(b, caf::exit_reason::user_shutdown);
    CHECK(r.tap->sent(mnt, procs::umnt) == 1);
    CHECK(r.tap->answered(mnt, procs::umnt) == 1);
    CHECK(took < 500ms);
  }
  SECTION("kill: no UMNT") {
    auto b = r.ready_backend();
    r.stop(b, caf::exit_reason::kill);
    CHECK(r.tap->sent(mnt, procs::umnt) == 0);
  }
  SECTION("a hung server: the UMNT goes unanswered and the backend still ends within umount_timeout") {
    auto b = r.ready_backend();
    r.nfs.pause();
    const auto took = r.stop(b, caf::exit_reason::user_shutdown);
    r.nfs.resume();
    CHECK(r.tap->answered(mnt, procs::umnt) == 0);
    CHECK(took >= 450ms);
    CHECK(took < 1500ms);
  }
  SECTION("never mounted: it ends at once") {
    auto b = r.backend(1, 1);  // nothing listens on port 1
    const auto took = r.stop(b, caf::exit_reason::user_shutdown);
    CHECK(r.tap->sent(mnt, procs::umnt) == 0);
    CHECK(took < 300ms);
  }
}
