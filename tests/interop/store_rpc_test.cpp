// FERRY_STORE over real sockets: rpcgen's libtirpc client stubs (as a C store client would use them)
// calling ferry's side, which reads with ferry's record scanner and answers with ferry's encoder.
#include <catch2/catch.hpp>
#include <cstring>

#include FERRY_RPCGEN_HEADER

#include "agreement.hpp"
#include "ferry_responder.hpp"
#include "tirpc_service.hpp"
#include "wire_support.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/store.hpp"
#include "xdr/rpc.hpp"

namespace ferry::interop {
namespace {

namespace fs = proto::store;
namespace rpc = xdr::rpc;

constexpr std::size_t one_mib = 1u << 20;
constexpr std::string_view node_name = "store-7";

/// ferry's side of FERRY_STORE: HEALTH, PUT (a store keeps the version ferryd chose, so it echoes it)
/// and GET of the last value put. Runs on the responder thread only.
class ferry_store_side {
 public:
  void operator()(const rpc::call& call, xdr::encoder& reply) {
    auto xid = call.header.xid;
    switch (static_cast<fs::proc>(call.header.proc)) {
      case fs::proc::null:
        return rpc::encode_success(reply, xid);
      case fs::proc::health:
        rpc::encode_success(reply, xid);
        (void)xdr::encode(reply, fs::health{puts_, stored_.size(), 0x8000000000000000u, 123456789, node_name});
        return;
      case fs::proc::put: {
        auto args = xdr::decode<fs::put_args>(call.args);
        if (!args) return rpc::encode_accepted_error(reply, xid, rpc::accept_stat::garbage_args);
        stored_.assign(args->value.begin(), args->value.end());
        version_ = args->ver;
        ++puts_;
        rpc::encode_success(reply, xid);
        (void)xdr::encode(reply, proto::write_res{proto::status::ok, version_, {}});
        return;
      }
      case fs::proc::get: {
        rpc::encode_success(reply, xid);
        proto::get_res res{};
        res.found = proto::value{proto::object_info{stored_.size(), version_, 1}, stored_};
        (void)xdr::encode(reply, res);
        return;
      }
      default:
        return rpc::encode_accepted_error(reply, xid, rpc::accept_stat::proc_unavail);
    }
  }

 private:
  std::vector<byte> stored_;
  proto::version version_;
  std::uint64_t puts_ = 0;
};

TEST_CASE("rpcgen's FERRY_STORE client stubs get HEALTH, a 1 MiB PUT and its GET answered by ferry's codec",
          "[interop][store][rpc]") {
  for (auto t : all_transports) {
    DYNAMIC_SECTION(to_string(t)) {
      ignore_sigpipe();
      auto sockets = connect_pair(t);
      ferry_responder responder{std::move(sockets.theirs), ferry_store_side{}};
      auto value = pattern(one_mib + 3, 5);  // 3 bytes past 1 MiB: padding at the end of a long opaque
      {
        tirpc_client client{sockets.ours.get(), FERRY_STORE_PROG, FERRY_STORE_V1};
        CHECK(fs_null_1(nullptr, client.get()) == RPC_SUCCESS);

        fs_put_args put{};
        put.key = ferry_key{4, const_cast<char*>("blob")};
        put.value.value_len = static_cast<u_int>(value.size());
        put.value.value_val = reinterpret_cast<char*>(value.data());
        put.ver = ferry_version{0x8000000000000001u, 0xFFFFFFFFFFFFFFFEu};
        ferry_write_res written{};
        REQUIRE(fs_put_1(put, &written, client.get()) == RPC_SUCCESS);
        REQUIRE(written.status == FERRY_OK);
        CHECK(written.ferry_write_res_u.ver.hlc == put.ver.hlc);
        CHECK(written.ferry_write_res_u.ver.writer == put.ver.writer);
        free_result(xdr_ferry_write_res, written);

        ferry_get_res got{};
        REQUIRE(fs_get_1(fs_key_args{put.key}, &got, client.get()) == RPC_SUCCESS);
        REQUIRE(got.status == FERRY_OK);
        const auto& data = got.ferry_get_res_u.value.data;
        CHECK(byte_difference(bytes_view{reinterpret_cast<const byte*>(data.data_val), data.data_len}, value) == "");
        CHECK(got.ferry_get_res_u.value.info.ver.hlc == put.ver.hlc);
        free_result(xdr_ferry_get_res, got);

        fs_health health{};
        REQUIRE(fs_health_1(&health, client.get()) == RPC_SUCCESS);
        CHECK(health.objects == 1);
        CHECK(health.bytes_used == value.size());
        CHECK(health.bytes_free == 0x8000000000000000u);
        CHECK(health.uptime_ms == 123456789u);
        CHECK(std::string_view{health.node} == node_name);
        free_result(xdr_fs_health, health);

        fs_write_abort_args abort_args{7};
        ferry_reply aborted{};
        CHECK(fs_write_abort_1(abort_args, &aborted, client.get()) == RPC_PROCUNAVAIL);
      }
      sockets.ours.reset();  // end of stream: the responder's loop ends
      const auto& served = responder.finish();
      CHECK(responder.end_reason() == "end of stream");
      REQUIRE(served.size() == 5);
      INFO("libtirpc sent the 1 MiB PUT in " << served[1].record.fragments << " fragments");
      CHECK(served[1].record.fragments > 1);
    }
  }
}

}  // namespace
}  // namespace ferry::interop
