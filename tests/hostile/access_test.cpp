// Access: the UNIX socket's mode and owner are enforced by the kernel, the uid/gid allow-list by ferryd
// (SO_PEERCRED: a peer not on it gets its first call answered OVERLOADED "uid N not allowed ..." and is
// closed), tested by connecting as another user (root forks, drops to nobody:nogroup, connects). And
// ferry-store never touches a path outside its data directory, whatever the key.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "hostile_support.hpp"
#include "xdr/record.hpp"

using namespace ferry;
using namespace ferry::hostile;
namespace fs = std::filesystem;
using namespace std::string_literals;

namespace {

constexpr uid_t nobody = 65534;
constexpr gid_t nogroup = 65534;

/// What a client running as uid:gid saw: connect's errno (0: connected), the first reply, and whether
/// ferryd then closed the connection.
struct as_user_result {
  int connect_errno = -1;
  bytes reply;
  bool closed = false;
};

/// Forks; the child drops to uid:gid, connects to `socket`, sends `call` (encoded before the fork: the
/// child only makes system calls), reads one reply and waits for the close, and reports through a pipe.
as_user_result as_user(const std::string& socket, uid_t uid, gid_t gid, const bytes& call) {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket.data(), std::min(socket.size(), sizeof(addr.sun_path) - 1));
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(p[0]);
    int err = 0;
    std::uint8_t buf[4096];
    std::uint32_t got = 0;
    std::uint8_t closed = 0;
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(3);
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      err = errno;
    } else {
      (void)!::write(fd, call.data(), call.size());
      pollfd pf{fd, POLLIN, 0};
      // The reply is one small record: read until it is whole (4-byte mark + length) or 10 s pass.
      for (int i = 0; i < 1000 && ::poll(&pf, 1, 10000) > 0; ++i) {
        auto n = ::read(fd, buf + got, sizeof(buf) - got);
        if (n <= 0) break;
        got += static_cast<std::uint32_t>(n);
        if (got >= 4) {
          std::uint32_t len = (std::uint32_t{buf[0]} << 24 | std::uint32_t{buf[1]} << 16 | std::uint32_t{buf[2]} << 8 | buf[3]) & 0x7FFFFFFF;
          if (got >= 4 + len) break;
        }
      }
      // A refused peer's connection is shut right after the reply; an admitted one stays open (2 s tell).
      std::uint8_t sink[256];
      for (int i = 0; i < 1000 && ::poll(&pf, 1, 2000) > 0; ++i) {
        auto n = ::read(fd, sink, sizeof sink);
        if (n <= 0) {
          closed = 1;
          break;
        }
      }
    }
    (void)!::write(p[1], &err, sizeof err);
    (void)!::write(p[1], &got, sizeof got);
    (void)!::write(p[1], buf, got);
    (void)!::write(p[1], &closed, 1);
    ::_exit(0);
  }
  ::close(p[1]);
  as_user_result r;
  std::vector<std::uint8_t> all;
  std::uint8_t chunk[4096];
  for (;;) {
    auto n = ::read(p[0], chunk, sizeof chunk);
    if (n <= 0) break;
    all.insert(all.end(), chunk, chunk + n);
  }
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(all.size() >= sizeof(int) + 4 + 1);
  std::uint32_t got = 0;
  std::memcpy(&r.connect_errno, all.data(), sizeof(int));
  std::memcpy(&got, all.data() + sizeof(int), 4);
  REQUIRE(all.size() == sizeof(int) + 4 + got + 1);
  if (got >= 4) {
    bytes rec(all.begin() + sizeof(int) + 4, all.begin() + sizeof(int) + 4 + got);
    bytes buffer = rec;
    auto scan = xdr::scan_record(buffer);
    if (scan && scan->complete()) {
      auto payload = xdr::record_payload(buffer, *scan);
      r.reply.assign(payload.begin(), payload.end());
    }
  }
  r.closed = all.back() != 0;
  return r;
}

void open_dir_to_others(const hostile_daemon& d) {
  fs::permissions(d.dir.path, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
}

}  // namespace

TEST_CASE("the socket's mode keeps other users out, and with the mode open anyone may call",
          "[hostile][access][ferryd]") {
  REQUIRE(::geteuid() == 0);  // the suite runs as root to test as another user
  {
    daemon_limits l;
    l.daemon_table = "socket_mode = \"0600\"\n";
    hostile_daemon d(l);
    open_dir_to_others(d);
    struct stat st{};
    REQUIRE(::stat(d.socket().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(st.st_uid == ::geteuid());
    auto r = as_user(d.socket(), nobody, nogroup, null_call(1));
    CHECK(r.connect_errno == EACCES);
    summary("socket mode 0600").text("inputs", "uid 65534 connects").text("outcome", r.connect_errno == EACCES ? "EACCES" : "NOT refused");
  }
  {
    daemon_limits l;
    l.daemon_table = "socket_mode = \"0666\"\n";
    hostile_daemon d(l);
    open_dir_to_others(d);
    auto r = as_user(d.socket(), nobody, nogroup, put_call(2, "as/nobody", "v"));
    CHECK(r.connect_errno == 0);
    REQUIRE_FALSE(r.reply.empty());
    CHECK(status_of(r.reply) == proto::status::ok);
  }
}

TEST_CASE("a peer whose uid and gid are not on the allow-list is answered 'not allowed' and closed",
          "[hostile][access][ferryd]") {
  REQUIRE(::geteuid() == 0);
  daemon_limits l;
  l.daemon_table = "socket_mode = \"0666\"\nallow_uids = [0]\n";  // the file's key
  hostile_daemon d(l);
  open_dir_to_others(d);
  daemon_test::check_serves(d.socket(), "allowed/root");  // uid 0 is on the list
  auto r = as_user(d.socket(), nobody, nogroup, put_call(3, "refused/nobody", "v"));
  CHECK(r.connect_errno == 0);
  REQUIRE_FALSE(r.reply.empty());
  auto reply = xdr::rpc::decode_reply(r.reply);
  REQUIRE(reply);
  CHECK(reply->xid == 3);
  CHECK(status_of(r.reply) == proto::status::overloaded);
  const auto detail = detail_of(r.reply);
  CHECK(detail.rfind("uid 65534 not allowed", 0) == 0);
  CHECK(r.closed);
  CHECK_FALSE(daemon_test::stored_value(d.stores[0].port, "refused/nobody"));  // nothing reached a store
  summary("allow-list refuses uid 65534")
      .text("inputs", "allow_uids = [0]; uid 65534 gid 65534 sends PUT")
      .text("outcome", "OVERLOADED '" + detail + "', closed=" + (r.closed ? "yes" : "no"));
}

TEST_CASE("the allow-list admits a peer by its group (--allow-gid) or its user (--allow-uid)", "[hostile][access][ferryd]") {
  REQUIRE(::geteuid() == 0);
  daemon_limits l;
  l.daemon_table = "socket_mode = \"0666\"\n";
  l.extra = {"--allow-uid", "0", "--allow-gid", std::to_string(nogroup)};
  hostile_daemon d(l);
  open_dir_to_others(d);
  auto by_gid = as_user(d.socket(), nobody, nogroup, put_call(4, "allowed/by-gid", "v"));
  REQUIRE_FALSE(by_gid.reply.empty());
  CHECK(status_of(by_gid.reply) == proto::status::ok);
  auto other = as_user(d.socket(), nobody, 1234, put_call(5, "refused/other-gid", "v"));
  REQUIRE_FALSE(other.reply.empty());
  CHECK(status_of(other.reply) == proto::status::overloaded);
  CHECK(detail_of(other.reply).rfind("uid 65534 not allowed (gid 1234)", 0) == 0);
  CHECK(other.closed);
  summary("allow-list by gid (CLI)")
      .text("inputs", "--allow-uid 0 --allow-gid 65534; uid 65534 as gid 65534, then as gid 1234")
      .text("outcome", "gid 65534 served OK; gid 1234 refused and closed");
}

TEST_CASE("keys that look like paths never make ferry-store touch anything outside its data directory",
          "[hostile][access][store][ferryd]") {
  daemon_test::temp_dir outer;  // everything the store may write lives in outer/data
  const auto data = outer.path / "data";
  const auto evil = "/tmp/ferry-evil-" + std::to_string(::getpid());
  struct stat passwd0{};
  REQUIRE(::stat("/etc/passwd", &passwd0) == 0);
  daemon_limits l;
  l.store_args = {"--data", data.string()};
  hostile_daemon d(l);
  std::vector<std::string> keys{"../x", "/etc/passwd", "a/../../b", "..", ".", "../../../../../../.." + evil,
                                evil, "a/b/c", "./../data2/x", std::string(1024, '/'), std::string(1024, '.'),
                                std::string(1024, 'a'), "nul\0../../y"s, "\0"s, "~root/.ssh/authorized_keys",
                                "..\\..\\windows", "%2e%2e/x", std::string("\xc0\xae\xc0\xae/x")};
  std::string parents;
  for (int i = 0; i < 300; ++i) parents += "../";
  keys.push_back(parents.substr(0, 1000) + "etc/x");
  daemon_test::client c(d.socket());
  std::size_t ok = 0;
  for (const auto& k : keys) {
    INFO("key '" << k << "' (" << k.size() << " bytes)");
    const auto value = "value of a hostile key " + std::to_string(k.size());
    const int rc = c.put(k, value, 5000);
    if (rc == FERRY_OK) {
      ++ok;
      CHECK(c.get(k, nullptr, 5000).second == value);  // stored as the opaque bytes it is
    }
  }
  CHECK(ok == keys.size());
  CHECK(c.put(std::string(1025, 'a'), "x", 5000) != FERRY_OK);  // over FERRY_MAX_KEY: refused before a store
  // Nothing outside outer/data but ferryd's own files (its socket, config, log live in d.dir, not here).
  std::vector<std::string> outside;
  for (auto it = fs::recursive_directory_iterator(outer.path); it != fs::recursive_directory_iterator(); ++it) {
    auto rel = fs::relative(it->path(), data);
    if (rel.empty() || *rel.begin() == "..") outside.push_back(it->path().string());
  }
  for (const auto& o : outside) INFO("outside the data dir: " << o);
  CHECK(outside.empty());
  CHECK_FALSE(fs::exists(evil));
  struct stat passwd1{};
  REQUIRE(::stat("/etc/passwd", &passwd1) == 0);
  CHECK(passwd1.st_mtim.tv_sec == passwd0.st_mtim.tv_sec);
  CHECK(passwd1.st_size == passwd0.st_size);
  summary("hostile keys to a durable store")
      .num("keys", static_cast<double>(keys.size()))
      .num("stored_and_read_back", static_cast<double>(ok))
      .num("paths_outside_data_dir", static_cast<double>(outside.size()))
      .text("inputs", "../x, /etc/passwd, a/../../b, .., ., 300x../, NUL bytes, 1024 x '/', '.', 'a', "
                      "~root/..., backslashes, %2e%2e, overlong UTF-8 dots, 1025-byte key")
      .text("outcome", outside.empty() ? "nothing created outside the store's data dir" : "ESCAPE");
}
