// ferryd end to end with an NFSv3 export as a data server: libferry calls through the real daemon to a
// real nfs-ganesha, cross-checked with libnfs's own tools (nfs-cat, nfs-cp); a server restart; and a
// mixed replica set (one ferry-store, one NFS export) that fails over when the NFS server is gone.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "actors/nfs3/object_path.hpp"
#include "daemon_fixture.hpp"
#include "ganesha_server.hpp"

using namespace ferry;
using namespace ferry::daemon_test;

namespace {

std::string mapped(const std::string& key) {
  auto p = nfs3::path_of(xdr::as_bytes(key));
  return p->dir + "/" + p->name;
}

std::string nfs_cat(const test::ganesha_server& nfs, const std::string& key) {
  std::string out;
  test::run_command("nfs-cat '" + nfs.libnfs_url(mapped(key)) + "'", &out);
  return out;
}

std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7 + i / 4099) & 0xff);
  return s;
}

// Uploads `data` through libferry in the upload's chunk size; FERRY_OK or the first failing status.
int upload(client& c, const std::string& key, const std::string& data, std::uint32_t deadline_ms = 10000) {
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = deadline_ms;
  ferry_upload* up = nullptr;
  int rc = ferry_upload_open(c.handle(), key.data(), key.size(), data.size(), &up, &o);
  if (rc != FERRY_OK) return rc;
  rc = ferry_upload_write(up, 0, data.data(), data.size(), &o);
  if (rc == FERRY_OK) rc = ferry_upload_commit(up, data.size(), nullptr, &o);
  if (rc != FERRY_OK) ferry_upload_abort(up);
  return rc;
}

std::string read_range(client& c, const std::string& key, std::uint64_t offset, std::size_t n, int& eof) {
  std::string buf(n, '\0');
  std::size_t got = 0;
  int rc = ferry_read(c.handle(), key.data(), key.size(), offset, buf.data(), n, &got, &eof, nullptr, nullptr);
  REQUIRE(rc == FERRY_OK);
  buf.resize(got);
  return buf;
}

bool skipped(const test::ganesha_server& nfs) {
  if (!nfs.running()) WARN("SKIPPED: " << nfs.skip_reason());
  return !nfs.running();
}

// ferryd with the export as its only store (R = W = 1), once it routes.
test::ferryd_process ferryd_on(const test::ganesha_server& nfs, const temp_dir& dir) {
  auto d = test::start_ferryd(FERRYD_BIN, {"--socket", dir.file("ferryd.sock"), "--log-level", "warn", "--store",
                                           nfs.store_url(), "--replicas", "1", "--write-quorum", "1"});
  wait_until_routing(d.socket);
  return d;
}

}  // namespace

TEST_CASE("ferryd stores objects on an NFS export that libnfs tools read and write too", "[nfs3][ferryd][integration]") {
  test::ganesha_server nfs;
  if (skipped(nfs)) return;
  temp_dir dir;
  auto d = ferryd_on(nfs, dir);
  client c(d.socket);

  // Small objects: PUT, then the bytes as libnfs sees them; GET, STAT, LIST, DELETE.
  REQUIRE(c.put("docs/hello.txt", "hello through ferry") == FERRY_OK);
  CHECK(nfs_cat(nfs, "docs/hello.txt") == "hello through ferry");
  ferry_object_info info{};
  REQUIRE(c.stat("docs/hello.txt", info) == FERRY_OK);
  CHECK(info.size == 19);
  CHECK(info.version_hlc != 0);

  // A file written with nfs-cp at the mapped path reads back through ferry.
  const auto local = dir.file("from-nfs-cp.bin");
  const auto original = pattern(300000, 1);
  std::ofstream(local, std::ios::binary) << original;
  // libnfs-utils has no mkdir: the fan-out directory is made on the export's file system.
  std::filesystem::create_directories(nfs.export_dir() / mapped("docs/by-nfs-cp").substr(0, 2));
  REQUIRE(test::run_command("nfs-cp '" + local + "' '" + nfs.libnfs_url(mapped("docs/by-nfs-cp")) + "' >/dev/null") == 0);
  auto [rc, v] = c.get("docs/by-nfs-cp");
  INFO(ferry_last_detail());
  REQUIRE(rc == FERRY_OK);
  CHECK(v == original);

  // A 5 MiB upload in ferry's chunks, read back whole with nfs-cat and in ranges through ferry.
  const auto big = pattern(5 * 1048576 + 777, 2);
  REQUIRE(upload(c, "docs/big.bin", big) == FERRY_OK);
  CHECK(nfs_cat(nfs, "docs/big.bin") == big);
  int eof = 0;
  CHECK(read_range(c, "docs/big.bin", 1048570, 4096, eof) == big.substr(1048570, 4096));
  CHECK(eof == 0);
  CHECK(read_range(c, "docs/big.bin", big.size() - 100, 4096, eof) == big.substr(big.size() - 100));
  CHECK(eof == 1);

  ferry_list_page* page = nullptr;
  REQUIRE(ferry_list(c.handle(), "docs/", 5, nullptr, 0, 0, &page, nullptr) == FERRY_OK);
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < ferry_list_count(page); ++i) {
    std::size_t n = 0;
    auto* k = static_cast<const char*>(ferry_list_key(page, i, &n));
    keys.emplace_back(k, n);
  }
  ferry_list_free(page);
  CHECK(keys == std::vector<std::string>{"docs/big.bin", "docs/by-nfs-cp", "docs/hello.txt"});

  REQUIRE(c.del("docs/hello.txt") == FERRY_OK);
  CHECK(c.get("docs/hello.txt").first == FERRY_NOT_FOUND);
  CHECK_FALSE(std::filesystem::exists(nfs.export_dir() / mapped("docs/hello.txt")));
}

TEST_CASE("restarting nfs-ganesha mid-upload loses no acknowledged write", "[nfs3][ferryd][integration]") {
  test::ganesha_server nfs;
  if (skipped(nfs)) return;
  temp_dir dir;
  auto d = ferryd_on(nfs, dir);
  client c(d.socket);

  std::vector<std::pair<std::string, std::string>> acked;
  for (int i = 0; i < 20; ++i) {
    auto key = "before/" + std::to_string(i), value = pattern(1000 + i * 97, i);
    REQUIRE(c.put(key, value) == FERRY_OK);
    acked.emplace_back(key, value);
  }
  // An upload whose first half is acknowledged before the restart and the second half sent after it.
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = 5000;
  const auto object = pattern(4 * 1048576, 9);
  ferry_upload* up = nullptr;
  REQUIRE(ferry_upload_open(c.handle(), "during/upload", 13, object.size(), &up, &o) == FERRY_OK);
  REQUIRE(ferry_upload_write(up, 0, object.data(), object.size() / 2, &o) == FERRY_OK);
  REQUIRE(nfs.restart());
  // Until the backend has reconnected, the rest may fail UNAVAILABLE: the client's part is to retry.
  int rc = ferry_upload_write(up, object.size() / 2, object.data() + object.size() / 2, object.size() / 2, &o);
  if (rc == FERRY_OK) rc = ferry_upload_commit(up, object.size(), nullptr, &o);
  if (rc != FERRY_OK) {
    ferry_upload_abort(up);
    INFO("upload across the restart failed with " << ferry_strerror(rc) << "; retrying it whole");
    REQUIRE(eventually([&] { return upload(c, "during/upload", object, 3000) == FERRY_OK; }, 20s, 100ms));
  }
  acked.emplace_back("during/upload", object);
  for (const auto& [key, value] : acked) {
    auto [grc, got] = c.get(key, nullptr, 5000);
    INFO(key << ": " << ferry_strerror(grc) << " " << ferry_last_detail());
    CHECK(grc == FERRY_OK);
    CHECK(got == value);
  }
}

TEST_CASE("a mixed replica set of a ferry-store and an NFS export fails over when the NFS server is gone",
          "[nfs3][ferryd][integration][failover]") {
  test::ganesha_server nfs;
  if (skipped(nfs)) return;
  temp_dir dir;
  auto stores = start_stores(1);
  auto d = test::start_ferryd(FERRYD_BIN, {"--socket", dir.file("ferryd.sock"), "--log-level", "warn", "--store",
                                           stores[0].address(), "--store", nfs.store_url(), "--replicas", "2",
                                           "--write-quorum", "2"});
  wait_until_routing(d.socket);
  client c(d.socket);
  for (int i = 0; i < 10; ++i) {
    auto key = "mixed/" + std::to_string(i);
    REQUIRE(c.put(key, "v" + std::to_string(i)) == FERRY_OK);
    CHECK(stored_value(stores[0].port, key) == "v" + std::to_string(i));  // both replicas hold it
    CHECK(nfs_cat(nfs, key) == "v" + std::to_string(i));
  }

  nfs.stop();
  for (int i = 0; i < 10; ++i) {
    auto [rc, v] = c.get("mixed/" + std::to_string(i), nullptr, 3000);
    INFO(ferry_strerror(rc) << " " << ferry_last_detail());
    CHECK(rc == FERRY_OK);  // served by the ferry-store
    CHECK(v == "v" + std::to_string(i));
  }
  // W = 2 cannot be met: refused within the deadline, as for a dead ferry-store.
  const auto start = std::chrono::steady_clock::now();
  const int rc = c.put("mixed/while-down", "x", 1500);
  CHECK((rc == FERRY_UNAVAILABLE || rc == FERRY_TIMEDOUT));
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("an NFS store nobody answers for is UNAVAILABLE within the deadline", "[nfs3][ferryd][integration]") {
  temp_dir dir;
  // Port 1 on loopback: connection refused, like a server that is down.
  auto d = test::start_ferryd(FERRYD_BIN, {"--socket", dir.file("ferryd.sock"), "--log-level", "warn", "--store",
                                           "nfs3://127.0.0.1/export?nfsport=1&mountport=1", "--replicas", "1",
                                           "--write-quorum", "1"});
  client c(d.socket);
  const auto start = std::chrono::steady_clock::now();
  const int rc = c.put("k", "v", 1000);
  CHECK((rc == FERRY_UNAVAILABLE || rc == FERRY_TIMEDOUT));
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}
