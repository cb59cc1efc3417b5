// The ferry-store TOML loader: every key read, defaults kept, and each kind of mistake reported with the
// file, the line and the key.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "config/store_settings.hpp"

using namespace ferry::config;

namespace {

struct toml_file {
  std::string path;
  explicit toml_file(const std::string& text) {
    char tmpl[] = "/tmp/ferry-config-XXXXXX.toml";
    int fd = mkstemps(tmpl, 5);
    REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    std::ofstream(path) << text;
  }
  ~toml_file() { std::remove(path.c_str()); }
};

std::string error_of(const std::string& text) {
  toml_file f(text);
  auto r = load_store_settings(f.path, {});
  REQUIRE(std::holds_alternative<settings_error>(r));
  auto msg = std::get<settings_error>(r).message;
  CHECK(msg.rfind(f.path + ":", 0) == 0);  // starts with the file name
  return msg.substr(f.path.size());
}

}  // namespace

TEST_CASE("a store config file sets the keys it names and keeps the other defaults", "[config]") {
  toml_file f("listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/ferry\"\nworkers = 8\nfsync = false\n");
  auto r = load_store_settings(f.path, {});
  REQUIRE(std::holds_alternative<store_settings>(r));
  auto s = std::get<store_settings>(r);
  CHECK(s.listen == "127.0.0.1:9000");
  CHECK(s.data_dir == "/srv/ferry");
  CHECK(s.workers == 8);
  CHECK_FALSE(s.fsync);
  CHECK(s.max_value == store_settings{}.max_value);
}

TEST_CASE("the example store config parses to the documented defaults", "[config]") {
  auto r = load_store_settings(FERRY_STORE_EXAMPLE, {});
  REQUIRE(std::holds_alternative<store_settings>(r));
  auto s = std::get<store_settings>(r);
  store_settings d;
  CHECK(s.listen == d.listen);
  CHECK(s.workers == d.workers);
  CHECK(s.max_value == d.max_value);
  CHECK(s.tombstone_retention_s == d.tombstone_retention_s);
  CHECK(s.log_level == d.log_level);
}

TEST_CASE("store config mistakes name the file, the line and the key", "[config]") {
  CHECK(error_of("workers = 2\nworkres = 3\n") == ":2: workres: unknown key");
  CHECK(error_of("\n\nfsync = \"yes\"\n") == ":3: fsync: expected true or false");
  CHECK(error_of("workers = -1\n") == ":1: workers: out of range");
  CHECK(error_of("listen = \"nocolon\"\n") == ":1: listen: expected HOST:PORT, got 'nocolon'");
  CHECK(error_of("data_dir = 5\n") == ":1: data_dir: expected a string");
  auto syntax = error_of("listen = \n");
  CHECK(syntax.rfind(":1: ", 0) == 0);
}

TEST_CASE("a missing store config file is an error naming it", "[config]") {
  auto r = load_store_settings("/nonexistent/ferry.toml", {});
  REQUIRE(std::holds_alternative<settings_error>(r));
  CHECK(std::get<settings_error>(r).message.find("/nonexistent/ferry.toml") != std::string::npos);
}

TEST_CASE("HOST:PORT splitting accepts IPv4, names and bracketed IPv6 only", "[config]") {
  std::string host;
  std::uint16_t port = 0;
  CHECK(split_host_port("127.0.0.1:7340", host, port));
  CHECK(host == "127.0.0.1");
  CHECK(port == 7340);
  CHECK(split_host_port("[::1]:1", host, port));
  CHECK(host == "::1");
  CHECK_FALSE(split_host_port("127.0.0.1", host, port));
  CHECK_FALSE(split_host_port("h:70000", host, port));
  CHECK_FALSE(split_host_port(":80", host, port));
  CHECK_FALSE(split_host_port("h:8x", host, port));
}
