// ONC RPC v2 message headers (RFC 5531 §9): calls, every reply kind, AUTH_SYS, and malformed headers
// reported with specific errors.
#include "catch_xdr.hpp"

#include <vector>

#include "xdr/rpc.hpp"

using namespace ferry::xdr;
using namespace ferry::xdr::rpc;
using bytes = std::vector<byte>;

TEST_CASE("a call header encodes to the RFC 5531 layout and decodes back", "[xdr][rpc]") {
  encoder e;
  encode_call(e, call_header{0x11223344, 0x20FE0001, 1, 2, {}, {}});
  e.u32(0xdeadbeef);  // arguments
  auto wire = e.flatten();
  bytes expected{0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, 0, 0, 0, 2, 0x20, 0xFE, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2,
                 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
  CHECK(wire == expected);
  auto c = decode_call(wire);
  REQUIRE(c);
  CHECK(c->header.xid == 0x11223344);
  CHECK(c->header.prog == 0x20FE0001);
  CHECK(c->header.vers == 1);
  CHECK(c->header.proc == 2);
  CHECK(c->header.cred.flavor == auth_flavor::none);
  REQUIRE(c->args.size() == 4);
  CHECK(c->args.data() == wire.data() + 40);
}

TEST_CASE("AUTH_SYS credentials round-trip through a call", "[xdr][rpc]") {
  auth_sys_params p;
  p.stamp = 42;
  p.machine_name = "host-a";
  p.uid = 1000;
  p.gid = 100;
  p.gid_count = 3;
  p.gids = {4, 24, 27};
  encoder cred;
  encode_auth_sys(cred, p);
  auto cred_bytes = cred.flatten();
  encoder e;
  encode_call(e, call_header{1, 2, 3, 4, {auth_flavor::sys, cred_bytes}, {}});
  auto wire = e.flatten();
  auto c = decode_call(wire);
  REQUIRE(c);
  CHECK(c->header.cred.flavor == auth_flavor::sys);
  auto back = decode_auth_sys(c->header.cred.body);
  REQUIRE(back);
  CHECK(back->stamp == 42);
  CHECK(back->machine_name == "host-a");
  CHECK(back->uid == 1000);
  CHECK(back->gid == 100);
  REQUIRE(back->gid_count == 3);
  CHECK(back->gids[2] == 27);
}

TEST_CASE("AUTH_SYS with more than 16 groups is rejected", "[xdr][rpc]") {
  encoder e;
  e.u32(0);
  e.string("h");
  e.u32(0);
  e.u32(0);
  e.u32(17);
  for (int i = 0; i < 17; ++i) e.u32(static_cast<std::uint32_t>(i));
  auto body = e.flatten();
  auto r = decode_auth_sys(body);
  REQUIRE_FALSE(r);
  CHECK(r.error() == codec_error{errc::length_over_limit, 20});
}

TEST_CASE("each reply kind decodes to its status and details", "[xdr][rpc]") {
  struct reply_case {
    const char* name;
    void (*encode)(encoder&);
    void (*check)(const reply&);
  };
  const reply_case cases[] = {
      {"success with results", [](encoder& e) { encode_success(e, 7); e.u32(99); },
       [](const reply& r) {
         CHECK(r.stat == reply_stat::accepted);
         CHECK(r.accepted == accept_stat::success);
         CHECK(r.results.size() == 4);
       }},
      {"PROG_UNAVAIL", [](encoder& e) { encode_accepted_error(e, 7, accept_stat::prog_unavail); },
       [](const reply& r) { CHECK(r.accepted == accept_stat::prog_unavail); }},
      {"PROG_MISMATCH with range",
       [](encoder& e) { encode_accepted_error(e, 7, accept_stat::prog_mismatch, {1, 3}); },
       [](const reply& r) {
         CHECK(r.accepted == accept_stat::prog_mismatch);
         CHECK(r.mismatch == mismatch_info{1, 3});
       }},
      {"PROC_UNAVAIL", [](encoder& e) { encode_accepted_error(e, 7, accept_stat::proc_unavail); },
       [](const reply& r) { CHECK(r.accepted == accept_stat::proc_unavail); }},
      {"GARBAGE_ARGS", [](encoder& e) { encode_accepted_error(e, 7, accept_stat::garbage_args); },
       [](const reply& r) { CHECK(r.accepted == accept_stat::garbage_args); }},
      {"SYSTEM_ERR", [](encoder& e) { encode_accepted_error(e, 7, accept_stat::system_err); },
       [](const reply& r) { CHECK(r.accepted == accept_stat::system_err); }},
      {"RPC_MISMATCH", [](encoder& e) { encode_rpc_mismatch(e, 7); },
       [](const reply& r) {
         CHECK(r.stat == reply_stat::denied);
         CHECK(r.rejected == reject_stat::rpc_mismatch);
         CHECK(r.mismatch == mismatch_info{2, 2});
       }},
      {"AUTH_ERROR tooweak", [](encoder& e) { encode_auth_error(e, 7, auth_stat::tooweak); },
       [](const reply& r) {
         CHECK(r.stat == reply_stat::denied);
         CHECK(r.rejected == reject_stat::auth_error);
         CHECK(r.auth == auth_stat::tooweak);
       }},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    encoder e;
    c.encode(e);
    auto wire = e.flatten();
    auto r = decode_reply(wire);
    REQUIRE(r);
    CHECK(r->xid == 7);
    c.check(*r);
    for (std::size_t cut = 8; cut < wire.size() - (r->results.size()); ++cut) {
      INFO("cut at " << cut);
      auto partial = decode_reply(bytes_view{wire.data(), cut});
      REQUIRE_FALSE(partial);
      CHECK(partial.error().code == errc::truncated);
    }
  }
}

TEST_CASE("malformed headers get specific errors", "[xdr][rpc]") {
  SECTION("rpcvers other than 2") {
    encoder e;
    encode_call(e, call_header{1, 2, 3, 4, {}, {}});
    auto wire = e.flatten();
    wire[11] = 3;
    auto c = decode_call(wire);
    REQUIRE_FALSE(c);
    CHECK(c.error() == codec_error{errc::bad_rpc_version, 8});
  }
  SECTION("message type 2") {
    bytes wire{0, 0, 0, 1, 0, 0, 0, 2};
    CHECK(decode_head(wire).error() == codec_error{errc::bad_message_type, 4});
  }
  SECTION("a reply where a call is expected") {
    encoder e;
    encode_success(e, 5);
    auto wire = e.flatten();
    CHECK(decode_call(wire).error().code == errc::unexpected_message_type);
    CHECK(decode_head(wire)->type == msg_type::reply);
  }
  SECTION("accept_stat out of range") {
    encoder e;
    encode_accepted_error(e, 7, accept_stat::system_err);
    auto wire = e.flatten();
    wire.back() = 6;
    CHECK(decode_reply(wire).error() == codec_error{errc::bad_enum, 20});
  }
  SECTION("credentials over 400 bytes") {
    std::vector<byte> big(401);
    encoder e;
    encode_call(e, call_header{1, 2, 3, 4, {auth_flavor::sys, big}, {}});
    auto wire = e.flatten();
    CHECK(decode_call(wire).error() == codec_error{errc::length_over_limit, 28});
  }
  SECTION("an error reply with trailing bytes") {
    encoder e;
    encode_accepted_error(e, 7, accept_stat::proc_unavail);
    e.u32(0);
    auto wire = e.flatten();
    CHECK(decode_reply(wire).error().code == errc::trailing_bytes);
  }
}

TEST_CASE("status names are stable", "[xdr][rpc]") {
  CHECK(to_string(accept_stat::garbage_args) == "GARBAGE_ARGS");
  CHECK(to_string(auth_stat::rpcsec_gss_ctxproblem) == "RPCSEC_GSS_CTXPROBLEM");
}
