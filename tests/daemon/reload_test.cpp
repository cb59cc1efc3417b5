// SIGHUP re-reads ferryd's config file: an added store starts taking writes; a file with an error is
// refused (logged with FILE:LINE) and ferryd keeps serving with what it had.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <sstream>

#include "daemon_fixture.hpp"

using namespace ferry;
using namespace ferry::daemon_test;

namespace {

void write_file(const std::string& path, const std::string& text) {
  // Written beside and renamed: ferryd never reads a half-written file.
  std::ofstream(path + ".new") << text;
  std::filesystem::rename(path + ".new", path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string config_for(const std::vector<const test::store_process*>& stores) {
  std::string servers;
  for (auto* s : stores) servers += (servers.empty() ? "\"" : ", \"") + s->address() + "\"";
  return "[stores]\nservers = [" + servers + "]\nreplicas = 1\nwrite_quorum = 1\n";
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("SIGHUP applies an added store and refuses a broken file, serving on", "[ferryd][integration][reload]") {
  temp_dir dir;
  auto stores = start_stores(2);
  const auto cfg = dir.file("ferryd.toml");
  const auto log = dir.file("ferryd.stderr");
  write_file(cfg, config_for({&stores[0]}));
  auto d = test::start_ferryd(FERRYD_BIN, {"--config", cfg, "--socket", dir.file("ferryd.sock"), "--log-level", "info"},
                              log);
  wait_until_routing(d.socket);
  client c(d.socket);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(c.put("before/" + std::to_string(i), "x") == FERRY_OK);
    CHECK(stored_value(stores[0].port, "before/" + std::to_string(i)) == "x");
    CHECK_FALSE(stored_value(stores[1].port, "before/" + std::to_string(i)));
  }

  write_file(cfg, config_for({&stores[0], &stores[1]}));
  d.proc->signal(SIGHUP);
  // With R=1 over two stores about half the keys are placed on the new one: write fresh keys until one
  // lands there (its connections must be up first).
  int n = 0;
  bool landed = eventually([&] {
    auto key = "after/" + std::to_string(n++);
    return c.put(key, "y", 2000) == FERRY_OK && stored_value(stores[1].port, key) == "y";
  });
  INFO("stderr:\n" << read_file(log));
  REQUIRE(landed);
  CHECK(count_of(read_file(log), "added store " + stores[1].address()) == 1);

  SECTION("an unknown key is refused with its file and line") {
    write_file(cfg, config_for({&stores[0]}) + "bogus_knob = 3\n");  // line 5
    d.proc->signal(SIGHUP);
    REQUIRE(eventually([&] { return count_of(read_file(log), "reload_refused") == 1; }));
    auto text = read_file(log);
    auto line = text.substr(text.find("reload_refused"));
    line = line.substr(0, line.find('\n'));
    CHECK(line.find(cfg + ":5: stores.bogus_knob: unknown key") != std::string::npos);
  }
  SECTION("a syntax error is refused with its file and line") {
    write_file(cfg, "[stores]\nreplicas = 1\nservers = [\"127.0.0.1:1\"\nwrite_quorum = = 1\n");
    d.proc->signal(SIGHUP);
    REQUIRE(eventually([&] { return count_of(read_file(log), "reload_refused") == 1; }));
    auto text = read_file(log);
    auto line = text.substr(text.find("reload_refused"));
    line = line.substr(0, line.find('\n'));
    CHECK(line.find(cfg + ":4: ") != std::string::npos);  // the line where the array breaks off
    CHECK(line.find("expected comma or closing ']'") != std::string::npos);
  }

  // Still serving with both stores: the refused file (which names only one) changed nothing.
  INFO("stderr:\n" << read_file(log));
  REQUIRE(c.put("after/refusal", "z", 2000) == FERRY_OK);
  CHECK(c.get("after/refusal").second == "z");
  int m = 0;
  CHECK(eventually([&] {
    auto key = "still-two/" + std::to_string(m++);
    return c.put(key, "w", 2000) == FERRY_OK && stored_value(stores[1].port, key) == "w";
  }));
  CHECK(count_of(read_file(log), "removed store") == 0);
}
