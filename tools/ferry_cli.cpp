// ferry: the command-line client of ferryd, built on libferry only: put, get, rm, stat and ls, with
// --json output and exit codes by error class (tools/README.md, `ferry --help`).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <memory>
#include <string>
#include <vector>

#include "ferry.h"
#include "ferry_cli_exit.hpp"
#include "ferry_cli_progress.hpp"
#include "ferry_cli_text.hpp"

namespace {

using namespace ferry::cli;

struct global_options {
  std::string socket;  // empty: $FERRY_SOCKET, else FERRY_DEFAULT_SOCKET (as ferry_open does)
  std::uint32_t deadline_ms = 0;
  bool json = false;
};

std::string socket_path(const global_options& g) {
  if (!g.socket.empty()) return g.socket;
  const char* env = std::getenv(FERRY_SOCKET_ENV);
  return env != nullptr && *env != '\0' ? env : FERRY_DEFAULT_SOCKET;
}

std::string info_fields(const ferry_object_info& info) {
  return fmt::format(R"("size":{},"version_hlc":{},"version_writer":{},"mtime_ns":{})", info.size,
                     info.version_hlc, info.version_writer, info.mtime_ns);
}

std::string utc_time(std::uint64_t ns) {
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000u);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ns % 1'000'000'000u);
}

/// One command's reporting: errors as `ferry: CMD KEY: TEXT: DETAIL` on stderr (and, with --json, an
/// error object on stdout), and the exit code of the error's class.
class command {
 public:
  command(const global_options& g, std::string name, std::string key)
      : g_(g), name_(std::move(name)), key_(std::move(key)) {}

  const global_options& globals() const { return g_; }
  ferry_t* handle() const { return h_.get(); }
  ferry_options options() const {
    ferry_options o = FERRY_OPTIONS_INIT;
    o.deadline_ms = g_.deadline_ms;
    return o;
  }

  /// Connects; false after reporting the failure (exit code in exit_status()).
  bool connect() {
    ferry_t* h = nullptr;
    int rc = ferry_open(g_.socket.empty() ? nullptr : g_.socket.c_str(), &h);
    if (rc != FERRY_OK) {
      int err = errno;
      std::string detail = socket_path(g_);
      if (rc == FERRY_E_CONNECT && err != 0) detail += fmt::format(": {}", std::strerror(err));
      failed(rc, detail);
      return false;
    }
    h_.reset(h);
    return true;
  }

  /// A libferry call failed with `status`; `detail` defaults to ferryd's.
  int failed(int status, std::string detail = ferry_last_detail()) {
    report(status_name(status), ferry_strerror(status), detail, classify(status));
    return exit_status_;
  }
  /// A local read or write failed with errno `err`.
  int local_failure(const std::string& what, int err) {
    report("LOCAL_IO", what, std::strerror(err), exit_code::local_io);
    return exit_status_;
  }
  int exit_status() const { return exit_status_; }

 private:
  void report(std::string_view error, std::string_view text, const std::string& detail, exit_code code) {
    std::string subject = key_.empty() ? name_ : fmt::format("{} {}", name_, display_text(key_));
    if (detail.empty()) std::fprintf(stderr, "ferry: %s: %.*s\n", subject.c_str(), static_cast<int>(text.size()), text.data());
    else std::fprintf(stderr, "ferry: %s: %.*s: %s\n", subject.c_str(), static_cast<int>(text.size()), text.data(),
                      display_text(detail).c_str());
    if (g_.json)
      fmt::print(R"({{"command":{},"key":{},"error":{},"exit":{},"message":{},"detail":{}}})"
                 "\n",
                 json_string(name_), json_string(key_), json_string(error), static_cast<int>(code),
                 json_string(text), json_string(detail));
    exit_status_ = static_cast<int>(code);
  }

  const global_options& g_;
  std::string name_;
  std::string key_;
  std::unique_ptr<ferry_t, decltype(&ferry_close)> h_{nullptr, &ferry_close};
  int exit_status_ = 0;
};

/// The input of `put`: a file, or standard input for "-".
struct input {
  int fd = -1;
  bool is_stdin = false;
  std::string name;     // for messages
  std::uint64_t size = 0;  // a regular file's size; 0: unknown (a pipe)
  input() = default;
  input(const input&) = delete;
  input& operator=(const input&) = delete;
  ~input() {
    if (fd >= 0 && !is_stdin) ::close(fd);
  }
};

bool open_input(command& cmd, const std::string& path, input& in) {
  in.is_stdin = path == "-";
  in.name = in.is_stdin ? "standard input" : path;
  in.fd = in.is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in.fd < 0) {
    cmd.local_failure(fmt::format("cannot open {}", path), errno);
    return false;
  }
  struct stat st {};
  if (::fstat(in.fd, &st) == 0 && S_ISREG(st.st_mode)) in.size = static_cast<std::uint64_t>(st.st_size);
  return true;
}

/// Appends up to `limit` bytes of `in` to `out`, stopping early at end of input (`eof` set). `base` is what
/// was read before, for the bar. On a read error returns false after reporting.
bool read_up_to(command& cmd, input& in, std::vector<char>& out, std::size_t limit, bool& eof, progress& bar,
                std::uint64_t base = 0) {
  constexpr std::size_t step = 1u << 20;
  eof = false;
  std::size_t first = out.size();
  while (out.size() - first < limit) {
    std::size_t at = out.size();
    std::size_t want = std::min(step, limit - (at - first));
    out.resize(at + want);
    ssize_t n = ::read(in.fd, out.data() + at, want);
    if (n < 0 && errno == EINTR) {
      out.resize(at);
      continue;
    }
    if (n < 0) {
      out.resize(at);
      cmd.local_failure(fmt::format("cannot read {}", in.name), errno);
      return false;
    }
    out.resize(at + static_cast<std::size_t>(n));
    if (n == 0) {
      eof = true;
      break;
    }
    bar.update(base + out.size());
  }
  return true;
}

bool write_all(int fd, const char* p, std::size_t n, progress& bar, std::uint64_t base = 0) {
  std::size_t done = 0;
  while (done < n) {
    ssize_t w = ::write(fd, p + done, std::min<std::size_t>(n - done, 1u << 20));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    done += static_cast<std::size_t>(w);
    bar.update(base + done);
  }
  return true;
}

/// Prints through stdio; a failed stdout (full disk, closed pipe) is a local I/O error at the end.
int finish_stdout(command& cmd) {
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) return cmd.local_failure("cannot write standard output", errno);
  return cmd.exit_status();
}

constexpr std::size_t stream_buffer = 4u << 20;  // what one streamed read or write moves

/// Aborts an upload left unfinished (an error on the way).
struct upload_guard {
  ferry_upload* up = nullptr;
  ~upload_guard() { (void)ferry_upload_abort(up); }
};

/// A value over one PUT: WRITE_OPEN, the bytes read so far and then the rest in chunks, COMMIT. Memory
/// stays bounded by `head` plus one buffer whatever the object's size.
int put_streamed(command& cmd, const std::string& key, input& in, std::vector<char>& head, bool if_absent,
                 progress& bar) {
  if (if_absent)
    return cmd.failed(FERRY_BAD_REQUEST, "--if-absent is not available above 16 MiB (a chunked upload has no such "
                                         "condition)");
  ferry_options o = cmd.options();
  upload_guard guard;
  if (int rc = ferry_upload_open(cmd.handle(), key.data(), key.size(), in.size, &guard.up, &o); rc != FERRY_OK)
    return cmd.failed(rc);
  bar.phase("sending");
  std::uint64_t offset = 0;
  bool eof = false;
  for (;;) {
    if (int rc = ferry_upload_write(guard.up, offset, head.data(), head.size(), &o); rc != FERRY_OK)
      return cmd.failed(rc);
    offset += head.size();
    bar.update(offset);
    if (eof) break;
    head.clear();
    if (!read_up_to(cmd, in, head, stream_buffer, eof, bar, offset)) return cmd.exit_status();
  }
  ferry_object_info info{};
  if (int rc = ferry_upload_commit(guard.up, offset, &info, &o); rc != FERRY_OK) return cmd.failed(rc);
  guard.up = nullptr;  // committed: freed by libferry
  bar.finish();
  if (cmd.globals().json)
    fmt::print(R"({{"command":"put","key":{},"size":{}}})" "\n", json_string(key), offset);
  return finish_stdout(cmd);
}

int run_put(const global_options& g, const std::string& key, const std::string& file, bool if_absent) {
  command cmd{g, "put", key};
  if (!cmd.connect()) return cmd.exit_status();
  input in;
  if (!open_input(cmd, file, in)) return cmd.exit_status();
  std::vector<char> value;
  bool eof = false;
  {
    progress reading{fmt::format("put {}", display_text(file)), in.size};
    value.reserve(in.size != 0 && in.size <= FERRY_MAX_VALUE ? in.size : 1u << 16);
    // One byte past the limit tells a value for one PUT from one to stream.
    if (!read_up_to(cmd, in, value, std::size_t{FERRY_MAX_VALUE} + 1, eof, reading)) return cmd.exit_status();
  }
  if (value.size() > FERRY_MAX_VALUE) {
    progress bar{fmt::format("put {}", display_text(key)), in.size};
    return put_streamed(cmd, key, in, value, if_absent, bar);
  }
  ferry_options o = cmd.options();
  if (if_absent) o.flags |= FERRY_PUT_IF_ABSENT;
  progress bar{fmt::format("put {}", display_text(key)), value.size()};
  bar.update(value.size());
  bar.phase("sending");
  int rc = ferry_put(cmd.handle(), key.data(), key.size(), value.data(), value.size(), &o);
  bar.finish();
  if (rc != FERRY_OK) return cmd.failed(rc);
  if (g.json) fmt::print(R"({{"command":"put","key":{},"size":{}}})" "\n", json_string(key), value.size());
  return finish_stdout(cmd);
}

/// Opens get's output; "-" is standard output.
int open_output(const std::string& file) {
  return file == "-" ? STDOUT_FILENO : ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
}

/// Closes get's output and reports a failed write or close; returns false after reporting.
bool close_output(command& cmd, int fd, const std::string& file, bool ok, int err) {
  bool is_stdout = file == "-";
  if (!is_stdout && ::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) cmd.local_failure(fmt::format("cannot write {}", is_stdout ? "standard output" : file), err);
  return ok;
}

/// An object over one GET: ranged READs of stream_buffer bytes until eof, each written out at once. The
/// file is opened after the first READ succeeded; a later failure leaves it partial (and is reported).
int get_streamed(command& cmd, const std::string& key, const std::string& file) {
  ferry_options o = cmd.options();
  std::vector<char> buf(stream_buffer);
  std::size_t got = 0;
  int eof = 0;
  ferry_object_info info{};
  if (int rc = ferry_read(cmd.handle(), key.data(), key.size(), 0, buf.data(), buf.size(), &got, &eof, &info, &o);
      rc != FERRY_OK)
    return cmd.failed(rc);
  int fd = open_output(file);
  if (fd < 0) return cmd.local_failure(fmt::format("cannot open {}", file), errno);
  progress bar{fmt::format("get {}", display_text(key)), info.size};
  std::uint64_t offset = 0;
  int rc = FERRY_OK;
  bool ok = true;
  int err = 0;
  for (;;) {
    ok = write_all(fd, buf.data(), got, bar, offset);
    err = errno;
    offset += got;
    if (!ok || eof != 0) break;
    if (got == 0) {  // no progress and no end: a server bug; stop rather than spin
      rc = FERRY_E_PROTOCOL;
      break;
    }
    rc = ferry_read(cmd.handle(), key.data(), key.size(), offset, buf.data(), buf.size(), &got, &eof, nullptr, &o);
    if (rc != FERRY_OK) break;
  }
  bar.finish();
  if (!close_output(cmd, fd, file, ok, err)) return cmd.exit_status();
  if (rc == FERRY_E_PROTOCOL && got == 0) return cmd.failed(rc, "ferryd returned an empty chunk before the end");
  if (rc != FERRY_OK) return cmd.failed(rc);
  info.size = offset;
  if (cmd.globals().json)
    fmt::print(R"({{"command":"get","key":{},{},"file":{}}})" "\n", json_string(key), info_fields(info),
               json_string(file));
  return finish_stdout(cmd);
}

int run_get(const global_options& g, const std::string& key, const std::string& file) {
  command cmd{g, "get", key};
  if (!cmd.connect()) return cmd.exit_status();
  ferry_options o = cmd.options();
  void* raw = nullptr;
  std::size_t n = 0;
  ferry_object_info info{};
  int rc = ferry_get_alloc(cmd.handle(), key.data(), key.size(), &raw, &n, &info, &o);
  if (rc == FERRY_TOO_BIG) return get_streamed(cmd, key, file);  // over one GET: read it in ranges
  if (rc != FERRY_OK) return cmd.failed(rc);
  std::unique_ptr<void, decltype(&ferry_free)> value{raw, &ferry_free};
  // The file is opened only now: a failed GET leaves an existing FILE untouched.
  int fd = open_output(file);
  if (fd < 0) return cmd.local_failure(fmt::format("cannot open {}", file), errno);
  progress bar{fmt::format("get {}", display_text(key)), n};
  bool ok = write_all(fd, static_cast<const char*>(value.get()), n, bar);
  int err = errno;
  bar.finish();
  if (!close_output(cmd, fd, file, ok, err)) return cmd.exit_status();
  if (g.json)
    fmt::print(R"({{"command":"get","key":{},{},"file":{}}})" "\n", json_string(key), info_fields(info),
               json_string(file));
  return finish_stdout(cmd);
}

int run_rm(const global_options& g, const std::string& key) {
  command cmd{g, "rm", key};
  if (!cmd.connect()) return cmd.exit_status();
  ferry_options o = cmd.options();
  if (int rc = ferry_delete(cmd.handle(), key.data(), key.size(), &o); rc != FERRY_OK) return cmd.failed(rc);
  if (g.json) fmt::print(R"({{"command":"rm","key":{}}})" "\n", json_string(key));
  return finish_stdout(cmd);
}

int run_stat(const global_options& g, const std::string& key) {
  command cmd{g, "stat", key};
  if (!cmd.connect()) return cmd.exit_status();
  ferry_options o = cmd.options();
  ferry_object_info info{};
  if (int rc = ferry_stat(cmd.handle(), key.data(), key.size(), &info, &o); rc != FERRY_OK) return cmd.failed(rc);
  if (g.json)
    fmt::print(R"({{"command":"stat","key":{},{}}})" "\n", json_string(key), info_fields(info));
  else
    fmt::print("key: {}\nsize: {}\nversion: {}.{}\nmtime: {}\n", display_text(key), info.size, info.version_hlc,
               info.version_writer, utc_time(info.mtime_ns));
  return finish_stdout(cmd);
}

int run_ls(const global_options& g, const std::string& prefix, std::uint64_t limit, bool long_format) {
  command cmd{g, "ls", prefix};
  if (!cmd.connect()) return cmd.exit_status();
  ferry_options o = cmd.options();
  std::string cursor;
  std::uint64_t listed = 0;
  for (;;) {
    std::uint64_t left = limit == 0 ? 0 : limit - listed;
    auto page_limit = static_cast<std::uint32_t>(std::min<std::uint64_t>(left, FERRY_MAX_LIST));
    ferry_list_page* raw = nullptr;
    int rc = ferry_list(cmd.handle(), prefix.data(), prefix.size(), cursor.data(), cursor.size(), page_limit, &raw, &o);
    if (rc != FERRY_OK) {
      std::fflush(stdout);  // the pages so far go out before the error
      return cmd.failed(rc);
    }
    std::unique_ptr<ferry_list_page, decltype(&ferry_list_free)> page{raw, &ferry_list_free};
    std::size_t count = ferry_list_count(raw);
    for (std::size_t i = 0; i < count && (limit == 0 || listed < limit); ++i, ++listed) {
      std::size_t klen = 0;
      auto* k = static_cast<const char*>(ferry_list_key(raw, i, &klen));
      std::string_view key{k, klen};
      const ferry_object_info& info = *ferry_list_info(raw, i);
      if (g.json) fmt::print(R"({{"key":{},{}}})" "\n", json_string(key), info_fields(info));
      else if (long_format) fmt::print("{:>12} {} {}\n", info.size, utc_time(info.mtime_ns), display_text(key));
      else fmt::print("{}\n", display_text(key));
    }
    if (!ferry_list_more(raw) || (limit != 0 && listed >= limit)) break;
    std::size_t clen = 0;
    auto* c = static_cast<const char*>(ferry_list_next_cursor(raw, &clen));
    std::string next{c, clen};
    if (next == cursor) {  // a server repeating its cursor would keep us here forever
      std::fflush(stdout);
      return cmd.failed(FERRY_E_PROTOCOL, "ferryd returned the same cursor again with more keys to come");
    }
    cursor = std::move(next);
  }
  return finish_stdout(cmd);
}

constexpr const char* notes =
    "\nKeys and JSON: keys are bytes. Text output shows valid UTF-8 as is and any other byte as \\xNN.\n"
    "--json prints one JSON object per result on stdout (errors too, with \"error\", \"exit\", \"message\",\n"
    "\"detail\"); in its strings control bytes and each byte of invalid UTF-8 are \\u00XX of the byte.\n"
    "Values: up to 16 MiB go in one PUT / GET; larger ones stream as a chunked upload and ranged reads\n"
    "(memory stays bounded; put --if-absent is refused above 16 MiB).\n"
    "Environment: FERRY_SOCKET names ferryd's socket when --socket is not given.\n\n";

}  // namespace

int main(int argc, char** argv) {
  global_options g;
  CLI::App app{"ferry: store and fetch objects through ferryd", "ferry"};
  app.require_subcommand(1);
  app.fallthrough();  // global options are accepted after the command too
  app.footer(std::string(notes) + std::string(exit_code_table()));
  app.add_option("--socket", g.socket, "ferryd's socket (default: $FERRY_SOCKET, else " FERRY_DEFAULT_SOCKET ")");
  app.add_option("--deadline-ms", g.deadline_ms, "deadline of each call in ms (default 0: ferryd's, 30 s here)");
  app.add_flag("--json", g.json, "print one JSON object per result");

  std::string key;
  std::string file = "-";
  bool if_absent = false;
  auto* put = app.add_subcommand("put", "store FILE (default -: standard input) under KEY");
  put->add_option("KEY", key, "the key")->required();
  put->add_option("FILE", file, "input file, - for standard input");
  put->add_flag("--if-absent", if_absent, "fail with EXISTS (exit 4) when KEY has a value");
  auto* get = app.add_subcommand("get", "write KEY's value to FILE (default -: standard output)");
  get->add_option("KEY", key, "the key")->required();
  get->add_option("FILE", file, "output file, - for standard output");
  auto* rm = app.add_subcommand("rm", "delete KEY");
  rm->add_option("KEY", key, "the key")->required();
  auto* stat = app.add_subcommand("stat", "show KEY's size, version and mtime");
  stat->add_option("KEY", key, "the key")->required();
  std::uint64_t limit = 0;
  bool long_format = false;
  auto* ls = app.add_subcommand("ls", "list the keys starting with PREFIX (default: all), page by page");
  ls->add_option("PREFIX", key, "the prefix");
  ls->add_option("--limit", limit, "list at most N keys (default 0: all)");
  ls->add_flag("-l,--long", long_format, "show size and mtime before each key");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : static_cast<int>(exit_code::usage);
  }
  if (get->parsed() && g.json && file == "-") {
    std::fprintf(stderr, "ferry: get: --json needs a FILE: the value and the JSON result would share stdout\n");
    return static_cast<int>(exit_code::usage);
  }
  if (put->parsed()) return run_put(g, key, file, if_absent);
  if (get->parsed()) return run_get(g, key, file);
  if (rm->parsed()) return run_rm(g, key);
  if (stat->parsed()) return run_stat(g, key);
  return run_ls(g, key, limit, long_format);
}
