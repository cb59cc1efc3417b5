// A C program's way to ferryd: rpcgen's FERRY_CLIENT stubs over libtirpc (clnttcp_create straight to the
// TCP listener ferryd announces, no rpcbind) put, get and stat through a real ferryd and ferry-store.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "ferry_client.h"
#include "ferryd_process.hpp"
#include "store_process.hpp"
#include "tirpc_client_handle.hpp"
#include "wire_support.hpp"

namespace ferry::interop {
namespace {

namespace fs = std::filesystem;

std::string rpc_error(clnt_stat stat) { return stat == RPC_SUCCESS ? "" : clnt_sperrno(stat); }
char* c_chars(std::string_view s) { return const_cast<char*>(s.data()); }
char* c_chars(bytes_view b) { return const_cast<char*>(reinterpret_cast<const char*>(b.data())); }
u_int c_length(std::size_t n) { return static_cast<u_int>(n); }
ferry_key key_of(std::string_view key) { return ferry_key{c_length(key.size()), c_chars(key)}; }
bytes_view bytes_of(const char* data, u_int length) { return {reinterpret_cast<const byte*>(data), length}; }

struct socket_dir {
  fs::path path;
  socket_dir() {
    std::string tmpl = "/tmp/ferryd-interop-XXXXXX";  // short: a socket path must fit sun_path
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~socket_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

TEST_CASE("rpcgen's libtirpc client puts, gets and stats through ferryd's TCP listener", "[interop][ferryd]") {
  ignore_sigpipe();
  socket_dir dir;
  auto store = test::start_store(FERRY_STORE_BIN);
  auto d = test::start_ferryd(FERRYD_BIN, {"--socket", (dir.path / "ferryd.sock").string(), "--store",
                                           store.address(), "--replicas", "1", "--write-quorum", "1",
                                           "--listen-tcp", "127.0.0.1:0", "--log-level", "warn"});
  REQUIRE(d.tcp_port != 0);
  auto client = client_handle::loopback_tcp(d.tcp_port, FERRY_CLIENT_PROG, FERRY_CLIENT_V1);
  CLIENT* clnt = client.get();
  CHECK(client.server_port() == d.tcp_port);

  // 70001 bytes: past libtirpc's 64 KiB fragments, with XDR padding.
  const auto value = pattern(70'001, 5);
  const std::string_view key = "interop/through-ferryd";
  fc_put_args put{key_of(key), {c_length(value.size()), c_chars(value)}, 5000, {}, 0};
  put.request_id[0] = 1;
  decoded<ferry_write_res> written{xdr_ferry_write_res};
  REQUIRE(rpc_error(fc_put_1(put, written.fresh(), clnt)) == "");
  REQUIRE(written->status == FERRY_OK);
  const auto ver = written->ferry_write_res_u.ver;
  CHECK(ver.hlc != 0);

  decoded<ferry_get_res> got{xdr_ferry_get_res};
  REQUIRE(rpc_error(fc_get_1(fc_key_args{key_of(key), 5000}, got.fresh(), clnt)) == "");
  REQUIRE(got->status == FERRY_OK);
  const auto& stored = got->ferry_get_res_u.value;
  CHECK(byte_difference(bytes_of(stored.data.data_val, stored.data.data_len), value) == "");
  CHECK(stored.info.size == value.size());
  CHECK(stored.info.ver.hlc == ver.hlc);
  CHECK(stored.info.ver.writer == ver.writer);

  decoded<ferry_stat_res> stat{xdr_ferry_stat_res};
  REQUIRE(rpc_error(fc_stat_1(fc_key_args{key_of(key), 5000}, stat.fresh(), clnt)) == "");
  REQUIRE(stat->status == FERRY_OK);
  CHECK(stat->ferry_stat_res_u.info.size == value.size());
  CHECK(stat->ferry_stat_res_u.info.ver.hlc == ver.hlc);
  CHECK(stat->ferry_stat_res_u.info.ver.writer == ver.writer);

  REQUIRE(rpc_error(fc_get_1(fc_key_args{key_of("interop/absent"), 5000}, got.fresh(), clnt)) == "");
  CHECK(got->status == FERRY_NOT_FOUND);
}

}  // namespace
}  // namespace ferry::interop
