// ferry-store --register seen through rpcbind the way a C client finds a server: clnt_create asks rpcbind
// for the port, and after SIGTERM the registration is gone. Needs a running rpcbind on this host.
#include <rpc/pmap_clnt.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "store_process.hpp"
#include "store_c_values.hpp"
#include "tirpc_client_handle.hpp"
#include "wire_support.hpp"

namespace ferry::interop {
namespace {

using namespace store_c;

/// ctest marks a test whose output contains this as skipped (SKIP_REGULAR_EXPRESSION in CMakeLists.txt);
/// Catch2 2 has no SKIP of its own.
constexpr std::string_view skip_marker = "FERRY_INTEROP_SKIPPED";

sockaddr_in loopback_rpcbind() {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(PMAPPORT);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

/// True when rpcbind answers a PMAPPROC_DUMP on 127.0.0.1:111 (its list always holds rpcbind itself).
bool rpcbind_answers() {
  auto address = loopback_rpcbind();
  pmaplist* maps = pmap_getmaps(&address);
  bool answered = maps != nullptr;
  free_decoded(xdr_pmaplist, maps);
  return answered;
}

/// The TCP port rpcbind on 127.0.0.1 has for FERRY_STORE version 1; 0 when it has none.
std::uint16_t registered_port() {
  auto address = loopback_rpcbind();
  return pmap_getport(&address, FERRY_STORE_PROG, FERRY_STORE_V1, IPPROTO_TCP);
}

/// ferry-store announces its port before it calls pmap_set, so the registration lags the announcement
/// line. rpcbind offers no notification: ask it until it has `port` (or something else) or 10 s pass.
std::uint16_t await_registration(std::uint16_t port) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto found = registered_port();
    if (found == port || std::chrono::steady_clock::now() >= deadline) return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

/// True when a FERRY_STORE answers NULL on 127.0.0.1:port.
bool store_answers(std::uint16_t port) {
  try {
    auto client = client_handle::loopback_tcp(port, FERRY_STORE_PROG, FERRY_STORE_V1);
    return fs_null_1(nullptr, client.get()) == RPC_SUCCESS;
  } catch (const std::runtime_error&) {
    return false;
  }
}

/// A store killed before its pmap_unset leaves its registration behind (and `rpcbind -w` restores it after
/// a restart). ferry-store's pmap_set then fails, so a dead entry is removed first; a live one is not ours
/// to remove, and the test cannot run beside it.
void remove_stale_registration() {
  auto stale = registered_port();
  if (stale == 0) return;
  if (store_answers(stale))
    FAIL("a running FERRY_STORE v1 is registered with rpcbind at port " << stale << "; stop it first");
  WARN("rpcbind had FERRY_STORE v1 at port " << stale << " where nothing answers; unregistering it");
  REQUIRE(pmap_unset(FERRY_STORE_PROG, FERRY_STORE_V1));
  REQUIRE(registered_port() == 0);
}

bool rpcbind_required() {
  const char* required = std::getenv("FERRY_REQUIRE_RPCBIND");
  return required != nullptr && std::string_view{required} == "1";
}

TEST_CASE("clnt_create finds ferry-store through rpcbind when it registers", "[interop][store][rpcbind]") {
  ignore_sigpipe();
  if (!rpcbind_answers()) {
    if (rpcbind_required())
      FAIL("FERRY_REQUIRE_RPCBIND=1 but rpcbind does not answer on 127.0.0.1:111 (start it: rpcbind -w, as root)");
    WARN(skip_marker << ": rpcbind does not answer on 127.0.0.1:111, so this test checked nothing. "
                        "Start it (rpcbind -w, as root) or set FERRY_REQUIRE_RPCBIND=1 to make its absence fail.");
    return;
  }

  remove_stale_registration();
  auto store = test::start_store(FERRY_STORE_BIN, {"--memory", "--register"});
  REQUIRE(await_registration(store.port) == store.port);
  {
    auto client = client_handle::through_rpcbind("127.0.0.1", FERRY_STORE_PROG, FERRY_STORE_V1);
    CHECK(client.server_port() == store.port);
    REQUIRE(rpc_error(fs_null_1(nullptr, client.get())) == "");

    std::string_view key = "found through rpcbind";
    const auto value = pattern(4097, 31);
    const ferry_version ver{42, 1};
    fs_put_args put{key_of(key), {c_length(value.size()), c_chars(value)}, ver};
    decoded<ferry_write_res> written{xdr_ferry_write_res};
    REQUIRE(rpc_error(fs_put_1(put, written.fresh(), client.get())) == "");
    REQUIRE(written->status == FERRY_OK);

    decoded<ferry_get_res> got{xdr_ferry_get_res};
    REQUIRE(rpc_error(fs_get_1(fs_key_args{put.key}, got.fresh(), client.get())) == "");
    REQUIRE(got->status == FERRY_OK);
    const auto& data = got->ferry_get_res_u.value.data;
    CHECK(byte_difference(bytes_of(data.data_val, data.data_len), value) == "");
  }

  // The answers above came from io.run(), which ferry-store enters only after installing its SIGTERM
  // handler: a SIGTERM sent earlier (right after the announcement line) kills it without pmap_unset.
  store.proc->signal(SIGTERM);
  auto status = store.proc->wait(std::chrono::seconds(20));
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(registered_port() == 0);
}

}  // namespace
}  // namespace ferry::interop
