// Restarting the disk engine: acknowledged objects and tombstones come back, leftovers of unfinished writes
// go, corrupt files are quarantined and reported, and keys can never reach outside the data directory.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>

#include "fixture.hpp"
#include "store/engine/key_digest.hpp"

using namespace ferry;
using namespace ferry::store;
using namespace ferry::store::testing;
namespace fs = std::filesystem;

namespace {

fs::path object_file(const engine_config& config, std::string_view key) {
  return config.dir / "objects" / detail::object_relative_path(detail::key_digest(key));
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("after kill -9 every acknowledged object and tombstone is back and leftovers are gone",
          "[store][engine][recovery]") {
  engine_under_test eng(engine_kind::disk);
  eng.eng.reset();  // the child process owns the directory until it dies
  const std::string big(300000, 'B');
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Acknowledged writes, one unfinished upload and a stray temp file, then death without any cleanup.
    auto store = open_engine(eng.config);
    if (!std::holds_alternative<std::unique_ptr<engine>>(store)) ::_exit(2);
    auto& e = *std::get<std::unique_ptr<engine>>(store);
    const bool acked = e.put(b("small"), b("hello"), v(1, 1)).code == proto::status::ok &&
                       e.put(b(big.substr(0, 1024)), b(big), v(2, 1)).code == proto::status::ok &&
                       e.put(b("deleted"), b("x"), v(3, 1)).code == proto::status::ok &&
                       e.del(b("deleted"), v(4, 1)).code == proto::status::ok;
    const auto up = e.write_open(b("partial"), v(5, 1), 10);
    if (!acked || e.write_chunk(up.upload_id, 0, b("half")).code != proto::status::ok) ::_exit(3);
    write_file(eng.config.dir / "tmp" / "put-999", "an unfinished put");
    if (::write(pipe_fds[1], &up.upload_id, sizeof up.upload_id) != sizeof up.upload_id) ::_exit(4);
    ::kill(::getpid(), SIGKILL);
  }
  ::close(pipe_fds[1]);
  std::uint64_t upload_id = 0;
  const auto got_id = ::read(pipe_fds[0], &upload_id, sizeof upload_id);
  ::close(pipe_fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  INFO("child exit code " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(got_id == sizeof upload_id);

  eng.reopen();

  const auto report = eng->recovery();
  CHECK(report.objects == 2);
  CHECK(report.tombstones == 1);
  CHECK(report.leftovers_removed == 2);  // the temp file and the partial upload
  CHECK(report.quarantined.empty());
  CHECK(text(eng->get(b("small")).data) == "hello");
  CHECK(eng->stat(b("small")).info.ver == v(1, 1));
  CHECK(text(eng->get(b(big.substr(0, 1024))).data) == big);
  CHECK(eng->get(b("deleted")).tombstone == v(4, 1));
  CHECK(eng->put(b("deleted"), b("late"), v(3, 9)).code == proto::status::conflict);  // the tombstone still wins
  CHECK(eng->get(b("partial")).code == proto::status::not_found);
  CHECK(eng->write_chunk(upload_id, 4, b("more")).code == proto::status::no_upload);
  CHECK(files_below(eng.config.dir / "tmp").empty());
  CHECK(files_below(eng.config.dir / "uploads").empty());
  CHECK(eng->health().objects == 2);
}

TEST_CASE("closing the engine discards open uploads and keeps everything acknowledged", "[store][engine][recovery]") {
  engine_under_test eng(engine_kind::disk);
  REQUIRE(eng->put(b("k"), b("v"), v(1)).code == proto::status::ok);
  const auto up = eng->write_open(b("partial"), v(1), 10);
  REQUIRE(eng->write_chunk(up.upload_id, 0, b("half")).code == proto::status::ok);
  const auto before = eng->stat(b("k"));
  eng.reopen();
  CHECK(eng->recovery().leftovers_removed == 0);  // the clean close already removed the upload
  CHECK(eng->stat(b("k")).info == before.info);
  CHECK(eng->write_commit(up.upload_id, 4).code == proto::status::no_upload);
}

TEST_CASE("a damaged object file is quarantined and reported on reopen while the rest is served",
          "[store][engine][recovery]") {
  struct damage {
    const char* name;
    std::function<void(const fs::path& victim, const fs::path& other)> apply;
    const char* reason;
  };
  const std::vector<damage> table{
      {"data cut short", [](const fs::path& p, const fs::path&) { fs::resize_file(p, fs::file_size(p) - 1); },
       "truncated"},
      {"data grown", [](const fs::path& p, const fs::path&) { fs::resize_file(p, fs::file_size(p) + 1); },
       "overlong"},
      {"empty file", [](const fs::path& p, const fs::path&) { fs::resize_file(p, 0); }, "shorter than"},
      {"garbage", [](const fs::path& p, const fs::path&) { write_file(p, std::string(200, '\x5a')); }, "magic"},
      {"a flipped header bit",
       [](const fs::path& p, const fs::path&) {
         auto bytes = read_file(p);
         bytes[20] = static_cast<char>(bytes[20] ^ 1);
         write_file(p, bytes);
       },
       "checksum"},
      {"another key's file under this name",
       [](const fs::path& p, const fs::path& other) { fs::copy_file(other, p, fs::copy_options::overwrite_existing); },
       "not the SHA-256 of its key"},
  };
  for (const auto& row : table) {
    SECTION(row.name) {
      engine_under_test eng(engine_kind::disk);
      REQUIRE(eng->put(b("victim"), b("victim's bytes"), v(1)).code == proto::status::ok);
      REQUIRE(eng->put(b("bystander"), b("fine"), v(1)).code == proto::status::ok);
      const auto victim = object_file(eng.config, "victim");
      row.apply(victim, object_file(eng.config, "bystander"));

      eng.reopen();

      const auto report = eng->recovery();
      REQUIRE(report.quarantined.size() == 1);
      CHECK_THAT(report.quarantined[0], Catch::Contains(detail::key_digest("victim")));
      CHECK_THAT(report.quarantined[0], Catch::Contains(row.reason));
      CHECK_FALSE(fs::exists(victim));
      CHECK(files_below(eng.config.dir / "quarantine").size() == 1);
      CHECK(eng->get(b("victim")).code == proto::status::not_found);
      CHECK(text(eng->get(b("bystander")).data) == "fine");
      CHECK(eng->put(b("victim"), b("rewritten"), v(2)).code == proto::status::ok);

      eng.reopen();  // quarantined files are not reported twice
      CHECK(eng->recovery().quarantined.empty());
      CHECK(text(eng->get(b("victim")).data) == "rewritten");
    }
  }
}

TEST_CASE("a stray entry in the objects tree is quarantined, not fatal", "[store][engine][recovery]") {
  engine_under_test eng(engine_kind::disk);
  REQUIRE(eng->put(b("k"), b("v"), v(1)).code == proto::status::ok);
  write_file(eng.config.dir / "objects" / "README", "not an object");
  eng.reopen();
  REQUIRE(eng->recovery().quarantined.size() == 1);
  CHECK_THAT(eng->recovery().quarantined[0], Catch::Contains("README: unexpected entry"));
  CHECK(text(eng->get(b("k")).data) == "v");
}

TEST_CASE("a damaged object file read without a restart answers IO_ERROR naming the file",
          "[store][engine][recovery]") {
  engine_under_test eng(engine_kind::disk);
  REQUIRE(eng->put(b("k"), b("value"), v(1)).code == proto::status::ok);
  const auto path = object_file(eng.config, "k");
  fs::resize_file(path, fs::file_size(path) - 2);
  const auto got = eng->get(b("k"));
  CHECK(got.code == proto::status::io_error);
  CHECK_THAT(got.detail, Catch::Contains("corrupt object file"));
}

TEST_CASE("a second engine on the same directory is refused while the first is open", "[store][engine][recovery]") {
  engine_under_test eng(engine_kind::disk);
  const auto second = open_engine(eng.config);
  REQUIRE(std::holds_alternative<std::string>(second));
  CHECK_THAT(std::get<std::string>(second), Catch::Contains("in use by another store"));
}

TEST_CASE("an unusable data directory is an error naming the path", "[store][engine][recovery]") {
  temp_dir dir;
  write_file(dir.path() / "file", "not a directory");
  engine_config config;
  config.dir = dir.path() / "file" / "data";
  const auto opened = open_engine(config);
  REQUIRE(std::holds_alternative<std::string>(opened));
  CHECK_THAT(std::get<std::string>(opened), Catch::Contains((dir.path() / "file").string()));
}

TEST_CASE("path-like keys are just keys: nothing is created outside the data directory",
          "[store][engine][recovery]") {
  engine_under_test eng(engine_kind::disk);
  const std::vector<std::string> keys{"../../etc/passwd", "../outside", "/abs/path", "a/../../b", ".", "..",
                                      std::string("nul\0byte", 8)};
  for (const auto& k : keys) REQUIRE(eng->put(b(k), b("data of " + k), v(1)).code == proto::status::ok);
  eng.reopen();
  for (const auto& k : keys) CHECK(text(eng->get(b(k)).data) == "data of " + k);

  CHECK(files_below(eng.dir.path()).size() == keys.size() + 1);  // the objects plus data/LOCK
  for (const auto& f : files_below(eng.dir.path())) {
    INFO(f);
    const bool is_lock = f == "data/LOCK";
    const bool is_object = f.rfind("data/objects/", 0) == 0 && fs::path(f).filename().string().size() == 64;
    CHECK((is_lock || is_object));
  }
}
