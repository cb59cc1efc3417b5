// The `ferry` CLI, run as a real binary against the scripted FERRY_CLIENT peer: the bytes put and got,
// --json output to the exact string, exit codes by error class, and its byte renderings (table-driven).
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ferry.h"
#include "ferry_cli_exit.hpp"
#include "ferry_cli_text.hpp"
#include "scripted_peer.hpp"

extern char** environ;

using ferry::test::scripted_peer;
using ferry::test::temp_dir;

namespace {

struct ran {
  int exit = -1;  // -1: killed or did not exit
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spill(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

/// Where a run's stdin comes from and its stderr goes (stdout is always captured).
struct spawn_io {
  std::string stdin_path = "/dev/null";
  int stdin_fd = -1;        // when not -1, instead of stdin_path
  std::string stderr_path;  // empty: captured into ran::err
};

/// Runs the ferry binary to completion (at most 60 s), capturing stdout and (unless redirected) stderr.
ran run_ferry(const temp_dir& dir, const std::vector<std::string>& args, const spawn_io& io = {}) {
  static int runs = 0;
  std::string out_path = fmt::format("{}/out.{}", dir.path, runs);
  std::string err_path = io.stderr_path.empty() ? fmt::format("{}/err.{}", dir.path, runs) : io.stderr_path;
  ++runs;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (io.stdin_fd >= 0) posix_spawn_file_actions_adddup2(&fa, io.stdin_fd, STDIN_FILENO);
  else posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, io.stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> argv{const_cast<char*>(FERRY_CLI_PATH)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, FERRY_CLI_PATH, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  ran r;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int st = 0;
  for (;;) {
    if (::waitpid(pid, &st, WNOHANG) == pid) {
      if (WIFEXITED(st)) r.exit = WEXITSTATUS(st);
      break;
    }
    if (std::chrono::steady_clock::now() > until) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      break;
    }
    // No portable wait-with-timeout for a child: 2 ms steps bound the latency.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  r.out = slurp(out_path);
  if (io.stderr_path.empty()) r.err = slurp(err_path);
  return r;
}

/// A peer on a socket in its own temp dir, and the arguments that point ferry at it.
struct fixture {
  temp_dir dir;
  scripted_peer peer{dir.path + "/ferryd.sock"};
  std::vector<std::string> with(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--socket", peer.path()});
    return args;
  }
  ran ferry(std::vector<std::string> args, const std::string& stdin_path = "/dev/null") {
    spawn_io io;
    io.stdin_path = stdin_path;
    return run_ferry(dir, with(std::move(args)), io);
  }
  /// Runs ferry with `input` streamed into its stdin through a socket (not a regular file: size unknown).
  ran ferry_streamed(std::vector<std::string> args, const std::string& input) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    std::thread writer([&] {
      std::size_t off = 0;
      while (off < input.size()) {
        ssize_t n = ::send(sv[1], input.data() + off, input.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;  // ferry stopped reading
        off += static_cast<std::size_t>(n);
      }
      ::shutdown(sv[1], SHUT_WR);
    });
    spawn_io io;
    io.stdin_fd = sv[0];
    auto r = run_ferry(dir, with(std::move(args)), io);
    ::close(sv[0]);  // a writer still blocked in send() gets EPIPE now
    writer.join();
    ::close(sv[1]);
    return r;
  }
};

std::string all_bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 256) & 0xff);
  return s;
}

std::size_t count_calls(scripted_peer& peer, std::uint32_t proc) {
  std::size_t n = 0;
  for (const auto& c : peer.calls()) n += c.proc == proc ? 1 : 0;
  return n;
}

constexpr std::uint32_t put_proc = 1;
constexpr std::uint32_t list_proc = 5;
constexpr std::uint32_t write_open_proc = 6;
constexpr std::uint32_t write_commit_proc = 8;
constexpr std::uint32_t read_proc = 10;

}  // namespace

TEST_CASE("ferry put sends the file's bytes and get writes them out exactly", "[ferry_cli]") {
  fixture f;
  f.peer.max_value(FERRY_MAX_VALUE);
  std::string value = all_bytes(3 * 1000 * 1000 + 17);
  spill(f.dir.path + "/in.bin", value);

  auto put = f.ferry({"put", "obj/1", f.dir.path + "/in.bin"});
  CHECK(put.exit == 0);
  CHECK(put.out.empty());
  CHECK(put.err.empty());
  CHECK(f.peer.stored("obj/1") == value);

  auto get = f.ferry({"get", "obj/1", f.dir.path + "/back.bin"});
  CHECK(get.exit == 0);
  CHECK(get.err.empty());
  CHECK(slurp(f.dir.path + "/back.bin") == value);

  auto to_stdout = f.ferry({"get", "obj/1"});
  CHECK(to_stdout.exit == 0);
  CHECK(to_stdout.out == value);

  SECTION("- (the default) reads standard input, and an empty value is a value") {
    auto piped = f.ferry({"put", "obj/2", "-"}, f.dir.path + "/in.bin");
    CHECK(piped.exit == 0);
    CHECK(f.peer.stored("obj/2") == value);
    auto empty = f.ferry({"put", "obj/empty"});
    CHECK(empty.exit == 0);
    CHECK(f.ferry({"stat", "obj/empty"}).out.find("size: 0\n") != std::string::npos);
  }
  SECTION("a streamed (size unknown) input up to the limit is read whole") {
    auto r = f.ferry_streamed({"put", "streamed"}, value);
    CHECK(r.exit == 0);
    CHECK(f.peer.stored("streamed") == value);
  }
  SECTION("a transfer over 4 MiB is quiet when stderr is not a terminal") {
    std::string big = all_bytes(5u << 20);
    spill(f.dir.path + "/big.bin", big);
    auto r = f.ferry({"put", "big", f.dir.path + "/big.bin"});
    CHECK(r.exit == 0);
    CHECK(r.err.empty());
    CHECK(f.ferry({"get", "big"}).out == big);
  }
  SECTION("on a terminal, a transfer over 4 MiB draws a bar on stderr and clears it") {
    int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(master >= 0);
    REQUIRE((::grantpt(master) == 0 && ::unlockpt(master) == 0));
    std::string big = all_bytes(5u << 20);
    spill(f.dir.path + "/big.bin", big);
    spawn_io to_terminal;
    to_terminal.stderr_path = ::ptsname(master);
    auto r = run_ferry(f.dir, f.with({"get", "obj/1", f.dir.path + "/small.out"}), to_terminal);
    CHECK(r.exit == 0);
    r = run_ferry(f.dir, f.with({"put", "big", f.dir.path + "/big.bin"}), to_terminal);
    CHECK(r.exit == 0);
    std::string drawn;
    char buf[4096];
    for (;;) {  // the slave side is closed: read what is buffered, then EIO
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) break;
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;
      drawn.append(buf, static_cast<std::size_t>(n));
    }
    ::close(master);
    CHECK(drawn.find("put big [##############################]   5.0/5.0 MiB sending") != std::string::npos);
    CHECK(drawn.ends_with("\r\033[K"));  // cleared
    CHECK(drawn.find("obj/1") == std::string::npos);  // 3 MB: under the threshold, nothing drawn
  }
  SECTION("FERRY_SOCKET names the socket when --socket is absent") {
    ::setenv(FERRY_SOCKET_ENV, f.peer.path().c_str(), 1);
    auto r = run_ferry(f.dir, {"get", "obj/1"});
    ::unsetenv(FERRY_SOCKET_ENV);
    CHECK(r.exit == 0);
    CHECK(r.out == value);
  }
}

TEST_CASE("ferry put streams a value over 16 MiB as a chunked upload and get reads it back in ranges",
          "[ferry_cli]") {
  fixture f;
  const std::string huge = all_bytes(FERRY_MAX_VALUE + 5 * 1000 * 1000 + 3);
  spill(f.dir.path + "/huge", huge);
  for (auto* from : {"file", "stdin file", "stream"}) {
    INFO(from);
    std::string how = from;
    std::string key = "huge/" + how;
    auto before = count_calls(f.peer, put_proc);
    auto r = how == "file"         ? f.ferry({"put", key, f.dir.path + "/huge"})
             : how == "stdin file" ? f.ferry({"put", key}, f.dir.path + "/huge")
                                   : f.ferry_streamed({"put", key}, huge);
    CHECK(r.exit == 0);
    CHECK(r.err.empty());
    CHECK(count_calls(f.peer, put_proc) == before);  // no PUT: WRITE_OPEN, chunks, COMMIT
    CHECK(f.peer.stored(key) == huge);
    CHECK(f.peer.open_uploads() == 0);
  }
  CHECK(count_calls(f.peer, write_open_proc) == 3);
  CHECK(count_calls(f.peer, write_commit_proc) == 3);

  auto to_file = f.ferry({"get", "huge/file", f.dir.path + "/back"});
  CHECK(to_file.exit == 0);
  CHECK(to_file.err.empty());
  CHECK(slurp(f.dir.path + "/back") == huge);
  CHECK(count_calls(f.peer, read_proc) == (huge.size() + (4u << 20) - 1) / (4u << 20));
  auto to_stdout = f.ferry({"--json", "get", "huge/stream", f.dir.path + "/back2"});
  CHECK(to_stdout.exit == 0);
  CHECK(to_stdout.out.find(fmt::format(R"("size":{})", huge.size())) != std::string::npos);
  CHECK(slurp(f.dir.path + "/back2") == huge);

  SECTION("a refused upload is reported with ferryd's status and leaves nothing behind") {
    f.peer.fail_next(ferry::proto::status::no_space, "store full");
    auto r = f.ferry({"put", "huge/full", f.dir.path + "/huge"});
    CHECK(r.exit == 4);
    CHECK(r.err == fmt::format("ferry: put huge/full: {}: store full\n", ferry_strerror(FERRY_NO_SPACE)));
    CHECK(f.peer.open_uploads() == 0);
    CHECK(f.peer.stored("huge/full").empty());
  }
}

TEST_CASE("ferry --json prints one exact JSON object per result", "[ferry_cli]") {
  fixture f;
  spill(f.dir.path + "/v", "hello");
  std::string odd_key = "k\x01\xff\xc3\xa9\"\\";  // control byte, invalid UTF-8, é, quote, backslash
  std::string odd_json = R"("k\u0001\u00ffé\"\\")";

  CHECK(f.ferry({"--json", "put", odd_key, f.dir.path + "/v"}).out ==
        fmt::format(R"({{"command":"put","key":{},"size":5}})" "\n", odd_json));
  ferry_t* h = nullptr;
  REQUIRE(ferry_open(f.peer.path().c_str(), &h) == FERRY_OK);
  ferry_object_info info{};
  REQUIRE(ferry_stat(h, odd_key.data(), odd_key.size(), &info, nullptr) == FERRY_OK);
  ferry_close(h);
  std::string fields = fmt::format(R"("size":5,"version_hlc":{},"version_writer":7,"mtime_ns":{})", info.version_hlc,
                                   info.mtime_ns);

  auto stat = f.ferry({"stat", odd_key, "--json"});  // global options may follow the command
  CHECK(stat.exit == 0);
  CHECK(stat.out == fmt::format(R"({{"command":"stat","key":{},{}}})" "\n", odd_json, fields));

  auto get = f.ferry({"--json", "get", odd_key, f.dir.path + "/out"});
  CHECK(get.out == fmt::format(R"({{"command":"get","key":{},{},"file":"{}/out"}})" "\n", odd_json, fields,
                               f.dir.path));
  CHECK(slurp(f.dir.path + "/out") == "hello");

  auto ls = f.ferry({"--json", "ls", "k"});
  CHECK(ls.out == fmt::format(R"({{"key":{},{}}})" "\n", odd_json, fields));
  auto plain_ls = f.ferry({"ls"});
  CHECK(plain_ls.out == "k\\x01\\xffé\"\\\\\n");

  CHECK(f.ferry({"--json", "rm", odd_key}).out == fmt::format(R"({{"command":"rm","key":{}}})" "\n", odd_json));

  auto missing = f.ferry({"--json", "stat", "gone"});
  CHECK(missing.exit == 1);
  CHECK(missing.out ==
        R"({"command":"stat","key":"gone","error":"NOT_FOUND","exit":1,"message":"no object has this key","detail":""})"
        "\n");
  CHECK(missing.err == "ferry: stat gone: no object has this key\n");

  f.peer.fail_next(ferry::proto::status::unavailable, "replica\ndown");
  auto refused = f.ferry({"--json", "rm", "k"});
  CHECK(refused.exit == 3);
  CHECK(refused.out == fmt::format(R"({{"command":"rm","key":"k","error":"UNAVAILABLE","exit":3,"message":"{}",)"
                                   R"("detail":"replica\u000adown"}})" "\n",
                                   ferry_strerror(FERRY_UNAVAILABLE)));
}

TEST_CASE("ferry ls pages through with the cursor until done", "[ferry_cli]") {
  fixture f;
  f.peer.list_page_size(2);
  spill(f.dir.path + "/v", "v");
  for (auto* k : {"p/a", "p/b", "p/c", "p/d", "p/e", "q/a"}) REQUIRE(f.ferry({"put", k, f.dir.path + "/v"}).exit == 0);

  auto all = f.ferry({"ls", "p/"});
  CHECK(all.exit == 0);
  CHECK(all.out == "p/a\np/b\np/c\np/d\np/e\n");
  CHECK(count_calls(f.peer, list_proc) == 3);

  auto limited = f.ferry({"ls", "p/", "--limit", "3"});
  CHECK(limited.out == "p/a\np/b\np/c\n");
  CHECK(count_calls(f.peer, list_proc) == 5);

  auto everything = f.ferry({"ls"});
  CHECK(everything.out == "p/a\np/b\np/c\np/d\np/e\nq/a\n");

  auto wide = f.ferry({"ls", "q", "-l"});
  CHECK(wide.out.ends_with(" q/a\n"));
  CHECK(wide.out.find("Z q/a") != std::string::npos);

  SECTION("an error after some pages keeps them and exits by its class") {
    f.peer.list_page_size(100);
    f.peer.fail_next(ferry::proto::status::overloaded, "");
    auto r = f.ferry({"ls"});
    CHECK(r.exit == 3);
    CHECK(r.err == fmt::format("ferry: ls: {}\n", ferry_strerror(FERRY_OVERLOADED)));
  }
}

TEST_CASE("ferry exits by error class", "[ferry_cli]") {
  fixture f;
  spill(f.dir.path + "/v", "v");
  REQUIRE(f.ferry({"put", "k", f.dir.path + "/v"}).exit == 0);

  SECTION("1: not found, and a failed get leaves FILE alone") {
    spill(f.dir.path + "/keep", "old");
    auto r = f.ferry({"get", "nope", f.dir.path + "/keep"});
    CHECK(r.exit == 1);
    CHECK(r.err == "ferry: get nope: no object has this key\n");
    CHECK(slurp(f.dir.path + "/keep") == "old");
    CHECK(f.ferry({"rm", "nope"}).exit == 1);
  }
  SECTION("2: usage") {
    CHECK(f.ferry({}).exit == 2);
    CHECK(f.ferry({"frobnicate"}).exit == 2);
    CHECK(f.ferry({"get"}).exit == 2);
    CHECK(f.ferry({"--deadline-ms", "soon", "get", "k"}).exit == 2);
    CHECK(f.ferry({"--json", "get", "k"}).exit == 2);
    auto help = f.ferry({"--help"});
    CHECK(help.exit == 0);
    CHECK(help.out.find(std::string(ferry::cli::exit_code_table())) != std::string::npos);
  }
  SECTION("3: retryable, with ferryd's detail on stderr") {
    f.peer.fail_next(ferry::proto::status::unavailable, "no replica of k answered");
    auto r = f.ferry({"get", "k"});
    CHECK(r.exit == 3);
    CHECK(r.err == fmt::format("ferry: get k: {}: no replica of k answered\n", ferry_strerror(FERRY_UNAVAILABLE)));
    f.peer.fail_next(ferry::proto::status::timedout, "");
    CHECK(f.ferry({"stat", "k"}).exit == 3);
    f.peer.fail_next(ferry::proto::status::overloaded, "");
    CHECK(f.ferry({"put", "k", f.dir.path + "/v"}).exit == 3);
    f.peer.fail_next(ferry::proto::status::shutting_down, "");
    CHECK(f.ferry({"rm", "k"}).exit == 3);
  }
  SECTION("4: refused") {
    CHECK(f.ferry({"get", std::string(FERRY_MAX_KEY + 1, 'k')}).exit == 4);
    auto exists = f.ferry({"put", "--if-absent", "k", f.dir.path + "/v"});
    CHECK(exists.exit == 4);
    CHECK(exists.err == fmt::format("ferry: put k: {}: exists\n", ferry_strerror(FERRY_EXISTS)));
    f.peer.fail_next(ferry::proto::status::no_space, "store full");
    CHECK(f.ferry({"put", "k", f.dir.path + "/v"}).exit == 4);
  }
  SECTION("4: --if-absent cannot apply to a value over one PUT (a chunked upload has no condition)") {
    spill(f.dir.path + "/huge", std::string(FERRY_MAX_VALUE + 1, 'x'));
    auto r = f.ferry({"put", "--if-absent", "huge", f.dir.path + "/huge"});
    CHECK(r.exit == 4);
    CHECK(r.err.find("--if-absent is not available above 16 MiB") != std::string::npos);
    CHECK(count_calls(f.peer, write_open_proc) == 0);
  }
  SECTION("5: ferryd is not there") {
    auto r = run_ferry(f.dir, {"--socket", f.dir.path + "/absent.sock", "stat", "k"});
    CHECK(r.exit == 5);
    CHECK(r.err == fmt::format("ferry: stat k: {}: {}/absent.sock: No such file or directory\n",
                               ferry_strerror(FERRY_E_CONNECT), f.dir.path));
  }
  SECTION("6: local I/O") {
    auto unreadable = f.ferry({"put", "k", f.dir.path + "/no-such-input"});
    CHECK(unreadable.exit == 6);
    CHECK(unreadable.err ==
          fmt::format("ferry: put k: cannot open {}/no-such-input: No such file or directory\n", f.dir.path));
    CHECK(f.ferry({"get", "k", f.dir.path + "/no-dir/out"}).exit == 6);
    CHECK(f.ferry({"get", "k", "/dev/full"}).exit == 6);
  }
}

TEST_CASE("every status maps to its documented exit class", "[ferry_cli]") {
  using ferry::cli::classify;
  using ferry::cli::exit_code;
  CHECK(classify(FERRY_OK) == exit_code::ok);
  CHECK(classify(FERRY_NOT_FOUND) == exit_code::not_found);
  for (int s : {FERRY_TIMEDOUT, FERRY_UNAVAILABLE, FERRY_OVERLOADED, FERRY_SHUTTING_DOWN, FERRY_IO_ERROR,
                FERRY_INTERNAL, FERRY_E_CLOSED})
    CHECK(classify(s) == exit_code::retryable);
  for (int s : {FERRY_EXISTS, FERRY_TOO_BIG, FERRY_BAD_KEY, FERRY_NO_SPACE, FERRY_CONFLICT, FERRY_BAD_REQUEST,
                FERRY_NO_UPLOAD, FERRY_BAD_RANGE, FERRY_E_INVALID, FERRY_E_BUFFER_TOO_SMALL})
    CHECK(classify(s) == exit_code::refused);
  for (int s : {FERRY_E_CONNECT, FERRY_E_PROTOCOL, FERRY_E_RPC}) CHECK(classify(s) == exit_code::unreachable);
  CHECK(classify(FERRY_E_NOMEM) == exit_code::local_io);
  for (int s = 0; s <= FERRY_E_RPC; ++s)
    if (s <= FERRY_INTERNAL || s >= FERRY_E_CONNECT) CHECK(ferry::cli::status_name(s) != "UNKNOWN");
}

TEST_CASE("keys render as JSON strings and terminal text byte by byte", "[ferry_cli]") {
  struct row {
    std::string in, json, text;
  };
  std::vector<row> table{
      {"plain/key", R"("plain/key")", "plain/key"},
      {"", R"("")", ""},
      {"q\"b\\", R"("q\"b\\")", "q\"b\\\\"},
      {std::string("\0\n\x1f\x7f", 4), R"("\u0000\u000a\u001f\u007f")", "\\x00\\x0a\\x1f\\x7f"},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\xa2", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\xa2\"",
       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\xa2"},                        // 2-, 3- and 4-byte UTF-8 kept
      {"\xff\xfe", R"("\u00ff\u00fe")", "\\xff\\xfe"},                       // never valid
      {"\xc0\x80", R"("\u00c0\u0080")", "\\xc0\\x80"},                       // overlong NUL
      {"\xed\xa0\x80", R"("\u00ed\u00a0\u0080")", "\\xed\\xa0\\x80"},        // a surrogate
      {"\xf4\x90\x80\x80", R"("\u00f4\u0090\u0080\u0080")", "\\xf4\\x90\\x80\\x80"},  // above U+10FFFF
      {"a\xe2\x82", R"("a\u00e2\u0082")", "a\\xe2\\x82"},                   // cut short at the end
      {"\xe2(x", R"("\u00e2(x")", "\\xe2(x"},                               // bad continuation
  };
  for (const auto& r : table) {
    INFO(r.json);
    CHECK(ferry::cli::json_string(r.in) == r.json);
    CHECK(ferry::cli::display_text(r.in) == r.text);
  }
}
