// ferry-store end to end: the real binary on a loopback port with a temp data dir, driven over ONC RPC
// by ferry's codec. Every operation, pipelining, chunked objects, RPC errors, hostile peers, kill -9
// durability and SIGTERM drain.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "store_process.hpp"
#include "transport/rpc_client.hpp"
#include "xdr/protocol/store.hpp"

using namespace ferry;
namespace ps = proto::store;
namespace fs = std::filesystem;
using bytes = std::vector<xdr::byte>;

namespace {

std::uint32_t P(ps::proc p) { return static_cast<std::uint32_t>(p); }

struct temp_dir {
  fs::path path;
  temp_dir() {
    auto base = fs::temp_directory_path() / "ferry-store-test-XXXXXX";
    std::string tmpl = base.string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A running ferry-store; the port is read from its first line of output.
struct store_process : test::store_process {
  explicit store_process(const std::vector<std::string>& args)
      : test::store_process(test::start_store(FERRY_STORE_BIN, args)) {}
  transport::rpc_client client() const { return transport::rpc_client(port, ps::program, ps::version); }
};

std::string text(xdr::bytes_view b) { return std::string(xdr::as_chars(b)); }

xdr::rpc::reply decode_reply(const bytes& rec) {
  auto r = xdr::rpc::decode_reply(rec);
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("every FERRY_STORE operation works against the running server", "[store][integration]") {
  temp_dir dir;
  store_process store({"--data", dir.path.string(), "--node", "store-a"});
  auto c = store.client();
  bytes keep;
  using proto::status;

  auto null_reply = decode_reply(*c.reply_for(c.send_void(P(ps::proc::null))));
  CHECK(null_reply.accepted == xdr::rpc::accept_stat::success);
  CHECK(null_reply.results.empty());

  auto health = c.call_void<ps::health>(P(ps::proc::health), keep);
  CHECK(health.node == "store-a");
  CHECK(health.objects == 0);

  std::string key = "users/alice", value = "first value";
  auto put = c.call<proto::write_res>(P(ps::proc::put), ps::put_args{xdr::as_bytes(key), xdr::as_bytes(value), {10, 1}}, keep);
  CHECK(put.code == status::ok);
  CHECK(put.ver == proto::version{10, 1});

  auto got = c.call<proto::get_res>(P(ps::proc::get), ps::key_args{xdr::as_bytes(key)}, keep);
  REQUIRE(got.code == status::ok);
  CHECK(text(got.found.data) == value);
  CHECK(got.found.info.size == value.size());
  CHECK(got.found.info.ver == proto::version{10, 1});

  auto older = c.call<proto::write_res>(P(ps::proc::put), ps::put_args{xdr::as_bytes(key), xdr::as_bytes("stale"), {9, 7}}, keep);
  CHECK(older.code == status::conflict);
  CHECK(older.ver == proto::version{10, 1});

  auto st = c.call<proto::stat_res>(P(ps::proc::stat), ps::key_args{xdr::as_bytes(key)}, keep);
  REQUIRE(st.code == status::ok);
  CHECK(st.info.size == value.size());

  for (std::string k : {"users/bob", "users/carol", "other/x"})
    REQUIRE(c.call<proto::write_res>(P(ps::proc::put), ps::put_args{xdr::as_bytes(k), xdr::as_bytes(k), {1, 1}}, keep).code == status::ok);
  auto listed = c.call<proto::list_res>(P(ps::proc::list), ps::list_args{xdr::as_bytes("users/"), {}, 0}, keep);
  REQUIRE(listed.code == status::ok);
  REQUIRE(listed.page.entries.size() == 3);
  CHECK(text(listed.page.entries[0].key) == "users/alice");
  CHECK(text(listed.page.entries[2].key) == "users/carol");
  CHECK_FALSE(listed.page.more);

  auto del = c.call<proto::write_res>(P(ps::proc::del), ps::delete_args{xdr::as_bytes(key), {11, 1}}, keep);
  CHECK(del.code == status::ok);
  auto gone = c.call<proto::get_res>(P(ps::proc::get), ps::key_args{xdr::as_bytes(key)}, keep);
  CHECK(gone.code == status::not_found);
  CHECK(gone.tombstone == proto::version{11, 1});

  auto bad_key = c.call<proto::write_res>(P(ps::proc::put), ps::put_args{{}, xdr::as_bytes("v"), {1, 1}}, keep);
  CHECK(bad_key.code == status::bad_key);
  CHECK_FALSE(bad_key.detail.empty());

  auto no_upload = c.call<proto::reply>(P(ps::proc::write_chunk), ps::write_chunk_args{424242, 0, xdr::as_bytes("x")}, keep);
  CHECK(no_upload.code == status::no_upload);
}

TEST_CASE("a path-traversal key is only a key", "[store][integration]") {
  temp_dir dir;
  store_process store({"--data", (dir.path / "data").string()});
  auto c = store.client();
  bytes keep;
  std::string key = "../../escape";
  auto put = c.call<proto::write_res>(P(ps::proc::put), ps::put_args{xdr::as_bytes(key), xdr::as_bytes("v"), {1, 1}}, keep);
  CHECK(put.code == proto::status::ok);
  CHECK_FALSE(fs::exists(dir.path / "escape"));
  CHECK_FALSE(fs::exists(dir.path.parent_path() / "escape"));
  auto got = c.call<proto::get_res>(P(ps::proc::get), ps::key_args{xdr::as_bytes(key)}, keep);
  CHECK(text(got.found.data) == "v");
}

TEST_CASE("pipelined calls on one connection are each answered once, matched by xid", "[store][integration]") {
  temp_dir dir;
  store_process store({"--data", dir.path.string(), "--workers", "4"});
  auto c = store.client();
  std::set<std::uint32_t> sent;
  for (int i = 0; i < 300; ++i) {
    auto k = "pipelined/" + std::to_string(i);
    sent.insert(c.send(P(ps::proc::put), ps::put_args{xdr::as_bytes(k), xdr::as_bytes(k), {1, 1}}));
  }
  std::set<std::uint32_t> answered;
  for (int i = 0; i < 300; ++i) {
    auto rec = c.next_reply();
    REQUIRE(rec);
    auto r = decode_reply(*rec);
    auto res = xdr::decode<proto::write_res>(r.results);
    REQUIRE(res);
    CHECK(res->code == proto::status::ok);
    CHECK(answered.insert(r.xid).second);  // never answered twice
  }
  CHECK(answered == sent);
}

TEST_CASE("a chunked 24 MiB object round-trips with its checksum", "[store][integration]") {
  temp_dir dir;
  store_process store({"--data", dir.path.string()});
  auto c = store.client();
  bytes keep;
  constexpr std::size_t chunk = 1 << 20, chunks = 24;
  std::mt19937_64 rng(7);
  std::uint64_t sum_in = 0;
  auto open = c.call<proto::write_open_res>(P(ps::proc::write_open), ps::write_open_args{xdr::as_bytes("big/object"), {5, 1}, chunk * chunks}, keep);
  REQUIRE(open.code == proto::status::ok);
  bytes data(chunk);
  for (std::size_t i = 0; i < chunks; ++i) {
    for (auto& b : data) {
      b = static_cast<xdr::byte>(rng());
      sum_in = sum_in * 1099511628211ull + b;
    }
    auto r = c.call<proto::reply>(P(ps::proc::write_chunk), ps::write_chunk_args{open.up.upload_id, i * chunk, data}, keep);
    REQUIRE(r.code == proto::status::ok);
  }
  auto commit = c.call<proto::write_res>(P(ps::proc::write_commit), ps::write_commit_args{open.up.upload_id, chunk * chunks}, keep);
  REQUIRE(commit.code == proto::status::ok);
  std::uint64_t sum_out = 0, offset = 0;
  bool eof = false;
  while (!eof) {
    auto r = c.call<proto::read_res>(P(ps::proc::read), ps::read_args{xdr::as_bytes("big/object"), offset, 3 << 20}, keep);
    REQUIRE(r.code == proto::status::ok);
    for (auto b : r.data.data) sum_out = sum_out * 1099511628211ull + b;
    offset += r.data.data.size();
    eof = r.data.eof;
    REQUIRE(offset <= chunk * chunks);
  }
  CHECK(offset == chunk * chunks);
  CHECK(sum_out == sum_in);
}

TEST_CASE("LIST pages through a prefix with a cursor, each key exactly once", "[store][integration]") {
  store_process store({"--memory"});
  auto c = store.client();
  bytes keep;
  for (int i = 0; i < 57; ++i) {
    auto k = "page/" + std::to_string(1000 + i);
    REQUIRE(c.call<proto::write_res>(P(ps::proc::put), ps::put_args{xdr::as_bytes(k), xdr::as_bytes("v"), {1, 1}}, keep).code == proto::status::ok);
  }
  std::vector<std::string> seen;
  std::string cursor;
  for (int pages = 0; pages < 20; ++pages) {
    auto r = c.call<proto::list_res>(P(ps::proc::list), ps::list_args{xdr::as_bytes("page/"), xdr::as_bytes(cursor), 10}, keep);
    REQUIRE(r.code == proto::status::ok);
    for (const auto& e : r.page.entries) seen.push_back(text(e.key));
    cursor = text(r.page.next_cursor);
    if (!r.page.more) break;
  }
  REQUIRE(seen.size() == 57);
  for (int i = 0; i < 57; ++i) CHECK(seen[static_cast<std::size_t>(i)] == "page/" + std::to_string(1000 + i));
}

TEST_CASE("RPC-level errors get standard replies and the connection stays usable", "[store][integration]") {
  store_process store({"--memory"});
  auto expect_accept = [&](std::uint32_t prog, std::uint32_t vers, std::uint32_t proc, xdr::rpc::accept_stat want) {
    transport::rpc_client c(store.port, prog, vers);
    auto r = decode_reply(*c.reply_for(c.send_void(proc)));
    CHECK(r.stat == xdr::rpc::reply_stat::accepted);
    CHECK(r.accepted == want);
    return r;
  };
  expect_accept(0x20FE0999, 1, 0, xdr::rpc::accept_stat::prog_unavail);
  auto mismatch = expect_accept(ps::program, 7, 0, xdr::rpc::accept_stat::prog_mismatch);
  CHECK(mismatch.mismatch == xdr::rpc::mismatch_info{1, 1});
  expect_accept(ps::program, 1, 99, xdr::rpc::accept_stat::proc_unavail);
  expect_accept(ps::program, 1, P(ps::proc::get), xdr::rpc::accept_stat::garbage_args);  // no arguments

  transport::rpc_client c(store.port, ps::program, ps::version);
  xdr::encoder e;
  e.begin_record();
  xdr::rpc::encode_call(e, {77, ps::program, 1, 0, {9, {}}, {}});  // an unknown auth flavor
  e.end_record();
  c.write_all(e.flatten());
  auto denied = decode_reply(*c.reply_for(77));
  CHECK(denied.stat == xdr::rpc::reply_stat::denied);
  CHECK(denied.auth == xdr::rpc::auth_stat::rejectedcred);
  xdr::encoder v3;
  v3.begin_record();
  xdr::rpc::encode_call(v3, {78, ps::program, 1, 0, {}, {}});
  v3.end_record();
  auto wire = v3.flatten();
  wire[4 + 11] = 3;  // rpcvers 3
  c.write_all(wire);
  auto rpc_mismatch = decode_reply(*c.reply_for(78));
  CHECK(rpc_mismatch.rejected == xdr::rpc::reject_stat::rpc_mismatch);
  // Still usable after every error above.
  auto ok = decode_reply(*c.reply_for(c.send_void(P(ps::proc::null))));
  CHECK(ok.accepted == xdr::rpc::accept_stat::success);
}

TEST_CASE("hostile peers lose only their own connection", "[store][integration][hostile]") {
  store_process store({"--memory"});
  transport::rpc_client good(store.port, ps::program, ps::version);
  bytes keep;

  transport::rpc_client huge(store.port, ps::program, ps::version);
  huge.write_all({0xff, 0xff, 0xff, 0xff});  // claims a 2 GiB record
  CHECK(huge.closed_by_peer());

  transport::rpc_client garbage(store.port, ps::program, ps::version);
  std::mt19937 rng(42);
  bytes noise(4 + 200);
  for (auto& b : noise) b = static_cast<xdr::byte>(rng());
  xdr::put_record_mark(noise.data(), 200, true);  // a well-framed record of random bytes
  noise[4 + 4] = 0; noise[4 + 5] = 0; noise[4 + 6] = 0; noise[4 + 7] = 7;  // msg_type 7: not a call
  garbage.write_all(noise);
  CHECK(garbage.closed_by_peer());

  transport::rpc_client slow(store.port, ps::program, ps::version);
  auto partial = xdr::frame_record(bytes(1000, 0));
  partial.resize(10);
  slow.write_all(partial);  // a slowloris: the rest never comes

  for (int i = 0; i < 50; ++i) {
    auto k = "good/" + std::to_string(i);
    auto r = good.call<proto::write_res>(P(ps::proc::put), ps::put_args{xdr::as_bytes(k), xdr::as_bytes("v"), {1, 1}}, keep);
    REQUIRE(r.code == proto::status::ok);
  }
  auto h = good.call_void<ps::health>(P(ps::proc::health), keep);
  CHECK(h.objects == 50);
}

TEST_CASE("acknowledged writes survive kill -9 and a restart", "[store][integration][durability]") {
  temp_dir dir;
  struct write { std::string key, value; };
  std::vector<write> sent;                   // write i has version {i + 1, 1}
  std::map<std::string, std::uint64_t> acked;  // key -> newest acknowledged version
  {
    store_process store({"--data", dir.path.string(), "--workers", "2"});
    auto c = store.client();
    std::mt19937 rng(1234);
    std::map<std::uint32_t, std::size_t> by_xid;
    for (std::size_t i = 0; i < 200; ++i) {
      write w{"crash/" + std::to_string(rng() % 150), std::string(1 + rng() % 3000, static_cast<char>('a' + i % 26))};
      by_xid[c.send(P(ps::proc::put), ps::put_args{xdr::as_bytes(w.key), xdr::as_bytes(w.value), {i + 1, 1}})] = i;
      sent.push_back(std::move(w));
    }
    // Take 150 acknowledgements, then kill the store with the rest possibly in flight.
    for (int n = 0; n < 150; ++n) {
      auto rec = c.next_reply();
      REQUIRE(rec);
      auto r = decode_reply(*rec);
      auto res = xdr::decode<proto::write_res>(r.results);
      REQUIRE(res);
      REQUIRE(res->code == proto::status::ok);
      auto i = by_xid.at(r.xid);
      auto& newest = acked[sent[i].key];
      newest = std::max<std::uint64_t>(newest, i + 1);
    }
    store.proc->signal(SIGKILL);
    REQUIRE(store.proc->wait());
  }
  store_process again({"--data", dir.path.string()});
  auto c = again.client();
  bytes keep;
  for (const auto& [key, version] : acked) {
    INFO(key << " acknowledged at version " << version);
    auto got = c.call<proto::get_res>(P(ps::proc::get), ps::key_args{xdr::as_bytes(key)}, keep);
    REQUIRE(got.code == proto::status::ok);
    // The acknowledged write, or a newer one to the same key that landed before the kill.
    auto stored = got.found.info.ver.hlc;
    REQUIRE(stored >= version);
    REQUIRE(stored <= sent.size());
    CHECK(sent[stored - 1].key == key);
    CHECK(text(got.found.data) == sent[stored - 1].value);
  }
  CHECK(acked.size() > 50);
}

TEST_CASE("SIGTERM finishes in-flight calls and exits 0", "[store][integration]") {
  temp_dir dir;
  store_process store({"--data", dir.path.string()});
  auto c = store.client();
  std::vector<std::uint32_t> xids;
  for (int i = 0; i < 20; ++i) {
    auto k = "drain/" + std::to_string(i);
    xids.push_back(c.send(P(ps::proc::put), ps::put_args{xdr::as_bytes(k), xdr::as_bytes("v"), {1, 1}}));
  }
  auto first = c.reply_for(xids[0]);
  REQUIRE(first);
  store.proc->signal(SIGTERM);
  for (std::size_t i = 1; i < xids.size(); ++i) CHECK(c.reply_for(xids[i]).has_value());
  auto status = store.proc->wait();
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("rpcinfo reaches the server at its universal address", "[store][integration][interop]") {
  store_process store({"--memory"});
  auto cmd = "rpcinfo -a 127.0.0.1." + std::to_string(store.port / 256) + "." + std::to_string(store.port % 256) +
             " -T tcp " + std::to_string(ps::program) + " 1 >/dev/null 2>&1";
  CHECK(std::system(cmd.c_str()) == 0);
}
