// Disk full, for real: a child process mounts a 512 KiB tmpfs in a private mount namespace and fills it
// through the engine. NO_SPACE must come back with a detail, earlier data intact and no temp file left.
#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <variant>

#include "fixture.hpp"

using namespace ferry;
using namespace ferry::store;
using namespace ferry::store::testing;

namespace {

constexpr int mount_refused = 77;

/// Runs in the child: returns 0 when every expectation held, else prints why and returns 1.
int fill_the_disk(const std::filesystem::path& mount_point) {
  const auto fail = [](const std::string& why) {
    std::fprintf(stderr, "disk-full check: %s\n", why.c_str());
    return 1;
  };
  // Private propagation first, or the tmpfs would leak into the parent's namespace (and the host's).
  if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      ::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=512k") != 0) {
    std::fprintf(stderr, "disk-full check: cannot mount tmpfs: %s\n", std::strerror(errno));
    return mount_refused;
  }
  engine_config config;
  config.dir = mount_point / "data";
  auto opened = open_engine(config);
  if (auto* problem = std::get_if<std::string>(&opened)) return fail("open_engine: " + *problem);
  auto& eng = *std::get<std::unique_ptr<engine>>(opened);

  const std::string value(10000, 'v');
  int stored = 0;
  write_result refused;
  for (; stored < 200; ++stored) {  // 512 KiB holds about 40 such objects: bounded well past that
    refused = eng.put(b("k" + std::to_string(stored)), b(value), v(1));
    if (refused.code != proto::status::ok) break;
  }
  if (refused.code != proto::status::no_space) {
    return fail("expected NO_SPACE, got " + std::string(proto::to_string(refused.code)) + ": " + refused.detail);
  }
  if (refused.detail.find("No space left") == std::string::npos) return fail("detail lacks strerror: " + refused.detail);
  if (stored == 0) return fail("nothing fit at all");
  for (int i = 0; i < stored; ++i) {
    const auto got = eng.get(b("k" + std::to_string(i)));
    if (got.code != proto::status::ok || text(got.data) != value) return fail("earlier object k" + std::to_string(i) + " damaged");
  }
  if (!files_below(config.dir / "tmp").empty()) return fail("a temporary file was left in tmp/");

  // An upload that runs out of space is aborted so its bytes stop holding the disk.
  const auto up = eng.write_open(b("upload"), v(1), 0);
  const std::vector<xdr::byte> chunk(256 * 1024, 'u');
  status_result chunk_status;
  for (std::uint64_t offset = 0; offset < (4u << 20) && chunk_status.code == proto::status::ok; offset += chunk.size()) {
    chunk_status = eng.write_chunk(up.upload_id, offset, chunk);
  }
  if (chunk_status.code != proto::status::no_space) return fail("upload: expected NO_SPACE, got " + chunk_status.detail);
  if (chunk_status.detail.find("upload aborted") == std::string::npos) return fail("upload detail: " + chunk_status.detail);
  if (!files_below(config.dir / "uploads").empty()) return fail("the aborted upload's file was left");

  // A tombstone replacing an object frees its space, and writes work again.
  if (const auto d = eng.del(b("k0"), v(2)); d.code != proto::status::ok) return fail("delete: " + d.detail);
  if (const auto p = eng.put(b("after"), b("small"), v(1)); p.code != proto::status::ok) return fail("put after freeing: " + p.detail);
  return 0;
}

}  // namespace

TEST_CASE("a full disk answers NO_SPACE and keeps every earlier object intact", "[store][engine][disk-full]") {
  temp_dir dir;
  const auto mount_point = dir.path() / "small";
  std::filesystem::create_directory(mount_point);
  std::fflush(nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(fill_the_disk(mount_point));
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == mount_refused) {
    WARN("the sandbox refused a private tmpfs mount; the disk-full check did not run");
    return;
  }
  CHECK(WEXITSTATUS(status) == 0);  // the child printed the reason on stderr
}
