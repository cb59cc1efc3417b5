// nfs3:// store URLs: what parses, and the sentence each mistake gets.
#include <catch2/catch.hpp>

#include "config/ferryd_settings.hpp"
#include "config/nfs3_url.hpp"

using namespace ferry::config;

TEST_CASE("an nfs3 URL gives host, export and options, and ports default to rpcbind discovery", "[nfs3][config]") {
  auto plain = std::get<nfs3_url>(parse_nfs3_url("nfs3://127.0.0.1/export"));
  CHECK(plain.host == "127.0.0.1");
  CHECK(plain.export_path == "/export");
  CHECK(plain.nfs_port == 0);
  CHECK(plain.mount_port == 0);
  auto full = std::get<nfs3_url>(parse_nfs3_url("nfs3://[::1]/a/b?nfsport=2049&mountport=20048&uid=1000&gid=100"));
  CHECK(full.host == "::1");
  CHECK(full.export_path == "/a/b");
  CHECK(full.nfs_port == 2049);
  CHECK(full.mount_port == 20048);
  CHECK(full.uid == 1000);
  CHECK(full.gid == 100);
}

TEST_CASE("a bad nfs3 URL is refused with a sentence naming the mistake", "[nfs3][config]") {
  struct row {
    const char* url;
    const char* error;
  };
  const row table[] = {
      {"nfs3:///export", "no host in 'nfs3:///export'"},
      {"nfs3://host", "no export path after the host in 'nfs3://host'"},
      {"nfs3://host/", "no export path after the host in 'nfs3://host/'"},
      {"nfs3://host:2049/export",
       "a port after the host is not how NFS ports are given: use ?nfsport=N&mountport=M in 'nfs3://host:2049/export'"},
      {"nfs3://host/e?port=1", "unknown option 'port' (expected nfsport, mountport, uid, gid)"},
      {"nfs3://host/e?nfsport", "option 'nfsport' has no '=VALUE'"},
      {"nfs3://host/e?nfsport=0", "option 'nfsport' must be a number in 1..65535, got '0'"},
      {"nfs3://host/e?mountport=70000", "option 'mountport' must be a number in 1..65535, got '70000'"},
      {"nfs3://host/e?uid=-1", "option 'uid' must be a number in 0..4294967295, got '-1'"},
      {"nfs3://host/e?gid=1&gid=2", "option 'gid' is given twice"},
      {"nfs3://[::1/e", "unclosed '[' in the host of 'nfs3://[::1/e'"},
  };
  for (const auto& r : table) {
    CAPTURE(r.url);
    auto parsed = parse_nfs3_url(r.url);
    REQUIRE(std::holds_alternative<std::string>(parsed));
    CHECK(std::get<std::string>(parsed) == r.error);
  }
}

TEST_CASE("stores.servers takes nfs3 URLs beside HOST:PORT and names the entry of a bad one", "[nfs3][config]") {
  ferryd_settings s;
  s.stores.servers = {"127.0.0.1:7340", "nfs3://127.0.0.1/export?nfsport=2049&mountport=20048"};
  CHECK_FALSE(check(s));
  s.stores.servers.push_back("nfs3://127.0.0.1/export?colour=blue");
  auto p = check(s);
  REQUIRE(p);
  CHECK(describe(*p) == "stores.servers[2]: unknown option 'colour' (expected nfsport, mountport, uid, gid)");
}
