// ONC RPC between ferry's codec and libtirpc over real sockets: ferry's calls to rpcgen's FERRY_CLIENT
// server, libtirpc's error replies and AUTH_SYS credentials, and a libtirpc client against ferry's side.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>

#include FERRY_RPCGEN_HEADER

#include "agreement.hpp"
#include "client_reference_server.hpp"
#include "ferry_responder.hpp"
#include "wire_support.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/rpc.hpp"

namespace ferry::interop {
namespace {

namespace fc = proto::client;
namespace rpc = xdr::rpc;

constexpr std::size_t one_mib = 1u << 20;

rpc::call_header header(std::uint32_t xid, fc::proc proc, rpc::opaque_auth cred = {}) {
  return {xid, fc::program, fc::version, static_cast<std::uint32_t>(proc), cred, {}};
}

/// A call record as ferry sends it: one fragment, record mark from begin_record/end_record.
template <class... Args>
xdr::encoder call_record(const rpc::call_header& h, const Args&... args) {
  xdr::encoder out;
  out.begin_record();
  rpc::encode_call(out, h);
  bool encoded = (xdr::encode(out, args).has_value() && ... && true);
  REQUIRE(encoded);
  out.end_record();
  return out;
}

/// Writes `segments` and reads one reply record with ferry's record scanner.
received_record round_trip(int fd, const std::vector<bytes_view>& segments) {
  REQUIRE(write_all(fd, segments));
  record_reader reader{fd};
  auto record = reader.next();
  if (!record) FAIL("no reply record from libtirpc: " << reader.error());
  return std::move(*record);
}

/// Decodes a reply and checks it answers `xid`.
rpc::reply reply_to(std::uint32_t xid, const received_record& record) {
  auto reply = rpc::decode_reply(record.payload());
  if (!reply) FAIL("decode_reply: " << xdr::describe(reply.error()) << "; bytes " << hex(record.payload()));
  CHECK(reply->xid == xid);
  return *reply;
}

/// The results of a SUCCESS reply decoded as T.
template <class T>
T success_results(const rpc::reply& reply) {
  REQUIRE(reply.stat == rpc::reply_stat::accepted);
  REQUIRE(reply.accepted == rpc::accept_stat::success);
  CHECK(reply.verf.flavor == rpc::auth_flavor::none);
  auto results = xdr::decode<T>(reply.results);
  if (!results) FAIL("decoding the results: " << xdr::describe(results.error()));
  return *results;
}

std::vector<byte> ferry_success_reply(std::uint32_t xid, const proto::write_res& result) {
  xdr::encoder out;
  rpc::encode_success(out, xid);
  REQUIRE(xdr::encode(out, result));
  return out.flatten();
}

std::vector<byte> auth_sys_body(const rpc::auth_sys_params& params) {
  xdr::encoder out;
  rpc::encode_auth_sys(out, params);
  return out.flatten();
}

rpc::auth_sys_params auth_sys(std::uint32_t stamp, std::string_view machine, std::uint32_t uid, std::uint32_t gid,
                              std::vector<std::uint32_t> gids) {
  rpc::auth_sys_params p;
  p.stamp = stamp;
  p.machine_name = machine;
  p.uid = uid;
  p.gid = gid;
  p.gid_count = static_cast<std::uint32_t>(gids.size());
  std::copy(gids.begin(), gids.end(), p.gids.begin());
  return p;
}

std::vector<std::uint32_t> sixteen_gids() {
  std::vector<std::uint32_t> g;
  for (std::uint32_t i = 0; i < 16; ++i) g.push_back(0x80000000u + i * 1000);
  return g;
}

const std::string& longest_machine_name() {
  static const std::string name(rpc::auth_sys_params::max_machine_name, 'm');
  return name;
}

/// Checks a reply is an accepted SUCCESS with nothing after the header (a void result).
void check_void_success(const rpc::reply& reply) {
  CHECK(reply.stat == rpc::reply_stat::accepted);
  CHECK(reply.accepted == rpc::accept_stat::success);
  CHECK(reply.results.empty());
}

/// A reply as ferry read it. `reply` (and whatever is decoded from its results) views `record`.
struct answer {
  received_record record;
  rpc::reply reply;
};

/// Sends one call encoded by ferry and decodes the reply, which must answer the same xid.
template <class... Args>
answer call(int fd, const rpc::call_header& h, const Args&... args) {
  answer a{round_trip(fd, call_record(h, args...).views()), {}};
  a.reply = reply_to(h.xid, a.record);
  return a;
}

// ---------------------------------------------------------------------------------------------------
// ferry's codec as the client of libtirpc's rpcgen server

TEST_CASE("libtirpc's rpcgen server answers ferry-encoded NULL, PUT and GET calls, and ferry decodes the replies",
          "[interop][client][rpc]") {
  for (auto t : all_transports) {
    DYNAMIC_SECTION(to_string(t)) {
      ignore_sigpipe();
      reference::reset();
      auto sockets = connect_pair(t);
      auto server = reference::serve(std::move(sockets.theirs));
      int fd = sockets.ours.get();
      auto key = xdr::as_bytes("alpha");
      auto value = xdr::as_bytes("seven b");
      proto::request_id id{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xa, 0xb};

      check_void_success(call(fd, header(1, fc::proc::null)).reply);

      auto put = call(fd, header(2, fc::proc::put), fc::put_args{key, value, 5000, id, 0});
      auto written = success_results<proto::write_res>(put.reply);
      CHECK(written.code == proto::status::ok);
      CHECK(written.ver == reference::put_version(value.size(), id));
      // ferry's reply encoder writes what libtirpc wrote for the same reply.
      CHECK(byte_difference(ferry_success_reply(2, written), put.record.payload()) == "");

      auto get = call(fd, header(3, fc::proc::get), fc::key_args{key, 0});
      auto got = success_results<proto::get_res>(get.reply);
      REQUIRE(got.code == proto::status::ok);
      CHECK(byte_difference(got.found.data, value) == "");
      CHECK(got.found.info == proto::object_info{value.size(), written.ver, reference::stored_mtime_ns});

      auto get_missing = call(fd, header(4, fc::proc::get), fc::key_args{xdr::as_bytes("beta"), 0});
      auto missing = success_results<proto::get_res>(get_missing.reply);
      CHECK(missing.code == proto::status::not_found);
      CHECK(missing.tombstone == reference::missing_tombstone);

      auto put_again = call(fd, header(5, fc::proc::put), fc::put_args{key, value, 0, id, fc::put_if_absent});
      auto again = success_results<proto::write_res>(put_again.reply);
      CHECK(again.code == proto::status::exists);
      CHECK(again.detail == "key exists");

      auto list = call(fd, header(6, fc::proc::list), fc::list_args{});
      auto unserved = success_results<proto::list_res>(list.reply);
      CHECK(unserved.code == proto::status::internal);
      CHECK(unserved.detail == reference::unimplemented);

      server->stop();
      CHECK_FALSE(server->went_idle());
      std::vector<std::uint32_t> procs;
      for (const auto& seen : reference::seen_calls()) procs.push_back(seen.proc);
      CHECK(procs == std::vector<std::uint32_t>{0, 1, 2, 2, 1});  // LIST is answered without reaching one
    }
  }
}

TEST_CASE("a 1 MiB value survives ferry's PUT and a GET reply that libtirpc sends in many fragments",
          "[interop][client][rpc]") {
  for (auto t : all_transports) {
    DYNAMIC_SECTION(to_string(t)) {
      ignore_sigpipe();
      reference::reset();
      auto sockets = connect_pair(t);
      auto server = reference::serve(std::move(sockets.theirs));
      int fd = sockets.ours.get();
      auto key = xdr::as_bytes("big");
      auto value = pattern(one_mib, 42);
      proto::request_id id{1};

      auto put = call(fd, header(10, fc::proc::put), fc::put_args{key, value, 0, id, 0});
      auto written = success_results<proto::write_res>(put.reply);
      CHECK(written.code == proto::status::ok);
      CHECK(written.ver == reference::put_version(one_mib, id));

      auto get = call(fd, header(11, fc::proc::get), fc::key_args{key, 0});
      INFO("libtirpc sent the 1 MiB GET reply in " << get.record.fragments << " fragments");
      CHECK(get.record.fragments > 1);
      auto got = success_results<proto::get_res>(get.reply);
      REQUIRE(got.code == proto::status::ok);
      CHECK(got.found.info.size == one_mib);
      CHECK(byte_difference(got.found.data, value) == "");
    }
  }
}

TEST_CASE("libtirpc reassembles a ferry call that frame_record split into many small fragments",
          "[interop][client][rpc]") {
  ignore_sigpipe();
  reference::reset();
  auto sockets = connect_pair(transport::loopback_tcp);
  auto server = reference::serve(std::move(sockets.theirs));
  auto value = pattern(10'001, 7);
  proto::request_id id{0xff, 0xee};

  xdr::encoder message;
  rpc::encode_call(message, header(20, fc::proc::put));
  REQUIRE(xdr::encode(message, fc::put_args{xdr::as_bytes("split"), value, 0, id, 0}));
  auto framed = xdr::frame_record(message.flatten(), 1000);  // 11 fragments, the last one short
  auto record = round_trip(sockets.ours.get(), {framed});
  auto written = success_results<proto::write_res>(reply_to(20, record));
  CHECK(written.code == proto::status::ok);
  CHECK(written.ver == reference::put_version(value.size(), id));
}

// ---------------------------------------------------------------------------------------------------
// RPC headers: credentials and error replies

TEST_CASE("libtirpc accepts ferry-encoded AUTH_NONE and AUTH_SYS credentials and sees every AUTH_SYS field",
          "[interop][client][rpc][auth]") {
  auto gids = sixteen_gids();
  const std::vector<named<rpc::auth_sys_params>> rows{
      {"AUTH_SYS root, no groups, 1-byte machine name", auth_sys(0, "h", 0, 0, {})},
      {"AUTH_SYS 16 groups, 255-byte machine name, high ids",
       auth_sys(0xFFFFFFFFu, longest_machine_name(), 0xFFFFFFFEu, 0x80000000u, gids)},
      {"AUTH_SYS 3 groups, odd machine name", auth_sys(1'700'000'000u, "node-7", 1000, 100, {100, 4, 27})},
  };
  ignore_sigpipe();
  SECTION("AUTH_NONE") {
    reference::reset();
    auto sockets = connect_pair(transport::unix_socketpair);
    auto server = reference::serve(std::move(sockets.theirs));
    check_void_success(call(sockets.ours.get(), header(30, fc::proc::null)).reply);
    server->stop();
    auto seen = reference::seen_calls();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].flavor == AUTH_NONE);
  }
  for (const auto& row : rows) {
    DYNAMIC_SECTION(row.name) {
      reference::reset();
      auto sockets = connect_pair(transport::unix_socketpair);
      auto server = reference::serve(std::move(sockets.theirs));
      auto body = auth_sys_body(row.value);
      auto cred = rpc::opaque_auth{rpc::auth_flavor::sys, body};
      check_void_success(call(sockets.ours.get(), header(31, fc::proc::null, cred)).reply);
      server->stop();
      auto seen = reference::seen_calls();
      REQUIRE(seen.size() == 1);
      CHECK(seen[0].flavor == AUTH_SYS);
      CHECK(seen[0].machine_name == row.value.machine_name);
      CHECK(seen[0].uid == row.value.uid);
      CHECK(seen[0].gid == row.value.gid);
      CHECK(seen[0].gids == std::vector<std::uint32_t>(row.value.gids.begin(),
                                                       row.value.gids.begin() + row.value.gid_count));
    }
  }
}

/// A call libtirpc must refuse, and the reply ferry expects for it.
struct refused_call {
  rpc::call_header header;
  std::vector<byte> args;
  rpc::reply_stat stat;
  rpc::accept_stat accepted;  // stat == accepted
  rpc::mismatch_info mismatch;
  rpc::auth_stat auth;  // stat == denied
};

/// ferry's own encoding of the reply `expected` describes.
std::vector<byte> ferry_error_reply(const refused_call& expected) {
  xdr::encoder out;
  if (expected.stat == rpc::reply_stat::accepted)
    rpc::encode_accepted_error(out, expected.header.xid, expected.accepted, expected.mismatch);
  else
    rpc::encode_auth_error(out, expected.header.xid, expected.auth);
  return out.flatten();
}

TEST_CASE("ferry decodes libtirpc's PROC_UNAVAIL, PROG_UNAVAIL, PROG_MISMATCH, GARBAGE_ARGS and AUTH_ERROR "
          "replies and encodes the same bytes",
          "[interop][client][rpc]") {
  using rpc::accept_stat;
  using rpc::auth_stat;
  using rpc::reply_stat;
  auto with = [](rpc::call_header h, auto change) {
    change(h);
    return h;
  };
  auto base = header(0x80000040u, fc::proc::null);
  // AUTH_SYS with 17 groups: one more than RFC 5531 allows (ferry's encoder clamps, so built by hand).
  xdr::encoder too_many_groups;
  for (std::uint32_t v : {0u, 1u, 0x68000000u, 0u, 0u, 17u}) too_many_groups.u32(v);  // stamp, "h", uid, gid, count
  for (std::uint32_t g = 0; g < 17; ++g) too_many_groups.u32(g);
  auto too_many_groups_body = too_many_groups.flatten();
  // PUT arguments whose key claims 2000 bytes (FERRY_MAX_KEY is 1024).
  std::vector<byte> oversized_key{0, 0, 0x07, 0xd0, 'k', 'e', 'y', 0};

  const std::vector<named<refused_call>> rows{
      {"unknown procedure 99: PROC_UNAVAIL",
       {with(base, [](auto& h) { h.proc = 99; }), {}, reply_stat::accepted, accept_stat::proc_unavail, {}, {}}},
      {"unknown program: PROG_UNAVAIL",
       {with(base, [](auto& h) { h.prog = 0x20FE00FFu; }), {}, reply_stat::accepted, accept_stat::prog_unavail, {},
        {}}},
      {"version 2 between served 1 and 3: PROG_MISMATCH 1..3",
       {with(base, [](auto& h) { h.vers = 2; }), {}, reply_stat::accepted, accept_stat::prog_mismatch, {1, 3}, {}}},
      {"version 0xffffffff: PROG_MISMATCH 1..3",
       {with(base, [](auto& h) { h.vers = 0xFFFFFFFFu; }), {}, reply_stat::accepted, accept_stat::prog_mismatch,
        {1, 3}, {}}},
      {"PUT with a 2000-byte key length: GARBAGE_ARGS",
       {with(base, [](auto& h) { h.proc = static_cast<std::uint32_t>(fc::proc::put); }), oversized_key,
        reply_stat::accepted, accept_stat::garbage_args, {}, {}}},
      {"unknown credential flavor: AUTH_ERROR / AUTH_REJECTEDCRED",
       {with(base, [](auto& h) { h.cred.flavor = 0x7777; }), {}, reply_stat::denied, {}, {}, auth_stat::rejectedcred}},
      {"AUTH_SYS with 17 groups: AUTH_ERROR / AUTH_BADCRED",
       {with(base, [&](auto& h) { h.cred = {rpc::auth_flavor::sys, too_many_groups_body}; }), {}, reply_stat::denied,
        {}, {}, auth_stat::badcred}},
  };
  ignore_sigpipe();
  for (const auto& row : rows) {
    DYNAMIC_SECTION(row.name) {
      reference::reset();
      auto sockets = connect_pair(transport::loopback_tcp);
      auto server = reference::serve(std::move(sockets.theirs));
      const auto& expected = row.value;
      xdr::encoder call;
      call.begin_record();
      rpc::encode_call(call, expected.header);
      call.fixed_opaque(expected.args);
      call.end_record();
      auto record = round_trip(sockets.ours.get(), call.views());
      auto reply = reply_to(expected.header.xid, record);
      CHECK(reply.stat == expected.stat);
      if (expected.stat == reply_stat::accepted) {
        CHECK(rpc::to_string(reply.accepted) == rpc::to_string(expected.accepted));
        CHECK(reply.mismatch == expected.mismatch);
      } else {
        CHECK(reply.rejected == rpc::reject_stat::auth_error);
        CHECK(rpc::to_string(reply.auth) == rpc::to_string(expected.auth));
      }
      CHECK(byte_difference(ferry_error_reply(expected), record.payload()) == "");
      server->stop();
      CHECK(reference::seen_calls().empty());  // no reference procedure ran
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// libtirpc as the client of ferry's codec

/// ferry's side of FERRY_CLIENT for libtirpc clients: NULL, PUT (answering put_version) and GET of the
/// last value put; anything else is PROC_UNAVAIL. Runs on the responder thread only.
class ferry_client_side {
 public:
  void operator()(const rpc::call& call, xdr::encoder& reply) {
    auto xid = call.header.xid;
    switch (static_cast<fc::proc>(call.header.proc)) {
      case fc::proc::null:
        return rpc::encode_success(reply, xid);
      case fc::proc::put: {
        auto args = xdr::decode<fc::put_args>(call.args);
        if (!args) return rpc::encode_accepted_error(reply, xid, rpc::accept_stat::garbage_args);
        stored_.assign(args->value.begin(), args->value.end());
        version_ = reference::put_version(args->value.size(), args->id);
        rpc::encode_success(reply, xid);
        (void)xdr::encode(reply, proto::write_res{proto::status::ok, version_, {}});
        return;
      }
      case fc::proc::get: {
        rpc::encode_success(reply, xid);
        proto::get_res res{};
        res.found = proto::value{proto::object_info{stored_.size(), version_, reference::stored_mtime_ns}, stored_};
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
};

/// rpcgen's C arguments for a PUT of `value` (views, no copies).
fc_put_args c_put(std::string_view key, const std::vector<byte>& value, const proto::request_id& id) {
  fc_put_args args{};
  args.key = ferry_key{static_cast<u_int>(key.size()), const_cast<char*>(key.data())};
  args.value.value_len = static_cast<u_int>(value.size());
  args.value.value_val = reinterpret_cast<char*>(const_cast<byte*>(value.data()));
  std::memcpy(args.request_id, id.data(), id.size());
  return args;
}

TEST_CASE("a libtirpc client's NULL, PUT and GET calls, 1 MiB PUT in fragments included, are served by ferry's codec",
          "[interop][client][rpc]") {
  for (auto t : all_transports) {
    DYNAMIC_SECTION(to_string(t)) {
      ignore_sigpipe();
      auto sockets = connect_pair(t);
      ferry_responder responder{std::move(sockets.theirs), ferry_client_side{}};
      auto small = pattern(13, 1);
      auto big = pattern(one_mib, 2);
      proto::request_id id{9, 8, 7, 6, 5, 4, 3, 2, 1};
      {
        tirpc_client client{sockets.ours.get(), FERRY_CLIENT_PROG, FERRY_CLIENT_V1};
        CHECK(fc_null_1(nullptr, client.get()) == RPC_SUCCESS);

        for (const auto* value : {&small, &big}) {
          ferry_write_res written{};
          REQUIRE(fc_put_1(c_put("key", *value, id), &written, client.get()) == RPC_SUCCESS);
          CHECK(written.status == FERRY_OK);
          auto expected = reference::put_version(value->size(), id);
          CHECK(written.ferry_write_res_u.ver.hlc == expected.hlc);
          CHECK(written.ferry_write_res_u.ver.writer == expected.writer);
          free_result(xdr_ferry_write_res, written);
        }

        ferry_get_res got{};
        REQUIRE(fc_get_1(fc_key_args{ferry_key{3, const_cast<char*>("key")}, 0}, &got, client.get()) == RPC_SUCCESS);
        REQUIRE(got.status == FERRY_OK);
        const auto& data = got.ferry_get_res_u.value.data;
        CHECK(byte_difference(bytes_view{reinterpret_cast<const byte*>(data.data_val), data.data_len}, big) == "");
        CHECK(got.ferry_get_res_u.value.info.size == one_mib);
        free_result(xdr_ferry_get_res, got);

        ferry_stat_res stat{};
        CHECK(fc_stat_1(fc_key_args{}, &stat, client.get()) == RPC_PROCUNAVAIL);
      }
      sockets.ours.reset();  // end of stream: the responder's loop ends
      const auto& served = responder.finish();
      CHECK(responder.end_reason() == "end of stream");
      REQUIRE(served.size() == 5);
      CHECK(served[1].record.fragments == 1);
      INFO("libtirpc sent the 1 MiB PUT in " << served[2].record.fragments << " fragments");
      CHECK(served[2].record.fragments > 1);
    }
  }
}

TEST_CASE("ferry decodes the AUTH_SYS credentials libtirpc's authunix_create puts on a call, byte for byte",
          "[interop][client][rpc][auth]") {
  struct row {
    std::string name;
    bool process_default;  // authunix_create_default: this process's host name and ids
    rpc::auth_sys_params params;
  };
  auto gids = sixteen_gids();
  const std::vector<row> rows{
      {"authunix_create, no groups", false, auth_sys(0, "client-host", 0, 0, {})},
      {"authunix_create, 16 groups, 255-byte machine name, high ids", false,
       auth_sys(0, longest_machine_name(), 0x7FFFFFFEu, 0x80000001u, gids)},
      {"authunix_create_default", true, {}},
  };
  ignore_sigpipe();
  for (const auto& r : rows) {
    DYNAMIC_SECTION(r.name) {
      auto sockets = connect_pair(transport::unix_socketpair);
      ferry_responder responder{std::move(sockets.theirs), ferry_client_side{}};
      auto expected = r.params;
      std::string host;
      std::vector<gid_t> groups;
      {
        tirpc_client client{sockets.ours.get(), FERRY_CLIENT_PROG, FERRY_CLIENT_V1};
        if (r.process_default) {
          client.use_auth(authunix_create_default());
        } else {
          host.assign(r.params.machine_name);
          std::vector<uid_t> c_gids(r.params.gids.begin(), r.params.gids.begin() + r.params.gid_count);
          client.use_auth(authunix_create(host.data(), r.params.uid, r.params.gid,
                                          static_cast<int>(c_gids.size()), c_gids.data()));
        }
        REQUIRE(fc_null_1(nullptr, client.get()) == RPC_SUCCESS);
      }
      sockets.ours.reset();
      const auto& served = responder.finish();
      REQUIRE(served.size() == 1);
      auto call = rpc::decode_call(served[0].record.payload());
      REQUIRE(call);
      REQUIRE(call->header.cred.flavor == rpc::auth_flavor::sys);
      CHECK(call->header.verf.flavor == rpc::auth_flavor::none);
      auto decoded = rpc::decode_auth_sys(call->header.cred.body);
      if (!decoded) FAIL("decode_auth_sys: " << xdr::describe(decoded.error()) << "; body "
                                             << hex(call->header.cred.body, 400));

      if (r.process_default) {
        // libtirpc fills in the host name and effective ids, with at most 16 groups.
        char name[256] = {};
        REQUIRE(::gethostname(name, sizeof name - 1) == 0);
        host = name;
        groups.resize(static_cast<std::size_t>(::getgroups(0, nullptr)));
        groups.resize(static_cast<std::size_t>(::getgroups(static_cast<int>(groups.size()), groups.data())));
        if (groups.size() > rpc::auth_sys_params::max_gids) groups.resize(rpc::auth_sys_params::max_gids);
        expected = auth_sys(0, host, ::geteuid(), ::getegid(),
                            std::vector<std::uint32_t>(groups.begin(), groups.end()));
      }
      CHECK(decoded->machine_name == expected.machine_name);
      CHECK(decoded->uid == expected.uid);
      CHECK(decoded->gid == expected.gid);
      CHECK(decoded->gid_count == expected.gid_count);
      CHECK(decoded->gids == expected.gids);
      // The stamp is libtirpc's clock; with it, ferry's encoder reproduces the body exactly.
      expected.stamp = decoded->stamp;
      CHECK(byte_difference(auth_sys_body(expected), call->header.cred.body) == "");
    }
  }
}

}  // namespace
}  // namespace ferry::interop
