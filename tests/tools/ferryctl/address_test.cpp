// --node and --cluster parsing, and the TLS file checks that run before any actor system exists.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "address.hpp"
#include "tls_files.hpp"

using namespace ferry::ctl;

TEST_CASE("endpoints parse HOST:PORT, bracketed IPv6, and refuse the rest", "[ferryctl][address]") {
  auto ok = std::get<endpoint>(parse_endpoint("10.0.0.2:7420"));
  CHECK(ok.host == "10.0.0.2");
  CHECK(ok.port == 7420);
  CHECK(ok.text == "10.0.0.2:7420");
  auto v6 = std::get<endpoint>(parse_endpoint("[::1]:1"));
  CHECK(v6.host == "::1");
  for (const char* bad : {"host", "host:", ":7420", "host:0", "host:65536", "host:12x", "::1:7420", "h:-1"})
    CHECK(std::holds_alternative<std::string>(parse_endpoint(bad)));
}

TEST_CASE("nodes come from --node then --cluster, without duplicates, else the default", "[ferryctl][address]") {
  auto none = std::get<std::vector<endpoint>>(collect_endpoints({}, {}));
  REQUIRE(none.size() == 1);
  CHECK(none[0].text == "127.0.0.1:7420");
  auto many = std::get<std::vector<endpoint>>(collect_endpoints({"a:1", "b:2"}, {"c:3,a:1,d:4"}));
  REQUIRE(many.size() == 4);
  CHECK(many[2].text == "c:3");
  CHECK(many[3].text == "d:4");
  CHECK(std::holds_alternative<std::string>(collect_endpoints({}, {"a:1,,b:2"})));
  CHECK(std::holds_alternative<std::string>(collect_endpoints({"a:1"}, {"a:x"})));
}

TEST_CASE("TLS files that are missing or not PEM are refused with the option's name", "[ferryctl][tls]") {
  char dir[] = "/tmp/ferryctl-tls-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string junk = std::string(dir) + "/junk.pem";
  std::ofstream(junk) << "not a certificate\n";
  auto missing = check_tls_files({std::string(dir) + "/nope.pem", junk, junk, ""});
  REQUIRE(missing);
  CHECK(missing->rfind("--tls-ca '", 0) == 0);
  CHECK(missing->find("No such file") != std::string::npos);
  auto garbage = check_tls_files({junk, junk, junk, ""});
  REQUIRE(garbage);
  CHECK(garbage->rfind("--tls-ca '", 0) == 0);
  CHECK(garbage->find("no PEM certificate") != std::string::npos);
  std::remove(junk.c_str());
  rmdir(dir);
}
