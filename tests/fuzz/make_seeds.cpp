// Writes the seed corpus of the fuzz targets into DIR/{record,rpc,protocol}/: valid encodings of every
// message kind, so fuzzing starts from inputs that reach deep into each decoder.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/protocol/store.hpp"
#include "xdr/record.hpp"
#include "xdr/rpc.hpp"

using namespace ferry;
using namespace ferry::xdr;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& dir, const std::string& name, const std::vector<byte>& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

template <class T>
void protocol_seed(const fs::path& dir, int index, const T& v) {
  std::vector<byte> bytes{static_cast<byte>(index)};
  encoder body;
  if (!encode(body, v)) std::abort();
  body.append_to(bytes);
  write(dir, "type" + std::to_string(index), bytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_seeds DIR\n");
    return 2;
  }
  fs::path root = argv[1];
  std::vector<byte> value(300, 0x61);
  std::string key = "seed/key";

  // record
  write(root / "record", "one_fragment", frame_record(value));
  write(root / "record", "three_fragments", frame_record(value, 100));
  write(root / "record", "empty", frame_record({}));

  // rpc
  encoder call;
  rpc::encode_call(call, {1, proto::client::program, 1, 1, {}, {}});
  write(root / "rpc", "call_none", call.flatten());
  rpc::auth_sys_params sys;
  sys.machine_name = "seed-host";
  sys.uid = 1000;
  sys.gid_count = 2;
  sys.gids = {1, 2};
  encoder cred;
  rpc::encode_auth_sys(cred, sys);
  auto cred_bytes = cred.flatten();
  encoder call_sys;
  rpc::encode_call(call_sys, {2, proto::store::program, 1, 3, {rpc::auth_flavor::sys, cred_bytes}, {}});
  write(root / "rpc", "call_sys", call_sys.flatten());
  encoder ok;
  rpc::encode_success(ok, 3);
  ok.u32(0);
  write(root / "rpc", "reply_success", ok.flatten());
  encoder mismatch;
  rpc::encode_accepted_error(mismatch, 4, rpc::accept_stat::prog_mismatch, {1, 1});
  write(root / "rpc", "reply_prog_mismatch", mismatch.flatten());
  encoder denied;
  rpc::encode_rpc_mismatch(denied, 5);
  write(root / "rpc", "reply_rpc_mismatch", denied.flatten());
  encoder auth;
  rpc::encode_auth_error(auth, 6, rpc::auth_stat::badcred);
  write(root / "rpc", "reply_auth_error", auth.flatten());

  // protocol: the index must match the checkers table in fuzz_protocol.cpp
  auto dir = root / "protocol";
  namespace c = proto::client;
  namespace s = proto::store;
  proto::version ver{5, 6};
  proto::object_info info{300, ver, 7};
  proto::list_page page;
  page.entries = {{as_bytes(key), info}, {as_bytes("k2"), info}};
  page.next_cursor = as_bytes("k2");
  page.more = true;
  protocol_seed(dir, 0, c::put_args{as_bytes(key), value, 100, {}, 0});
  protocol_seed(dir, 1, c::key_args{as_bytes(key), 5});
  protocol_seed(dir, 2, c::delete_args{as_bytes(key), 5, {}});
  protocol_seed(dir, 3, c::list_args{as_bytes("se"), {}, 10, 0});
  protocol_seed(dir, 4, c::write_open_args{as_bytes(key), 1 << 30, 0, {}});
  protocol_seed(dir, 5, c::write_chunk_args{1, 0, value, 0});
  protocol_seed(dir, 6, c::write_commit_args{1, 300, 0});
  protocol_seed(dir, 7, c::write_abort_args{1});
  protocol_seed(dir, 8, c::read_args{as_bytes(key), 0, 100, 0});
  protocol_seed(dir, 9, s::put_args{as_bytes(key), value, ver});
  protocol_seed(dir, 10, s::key_args{as_bytes(key)});
  protocol_seed(dir, 11, s::delete_args{as_bytes(key), ver});
  protocol_seed(dir, 12, s::list_args{as_bytes("se"), as_bytes(key), 10});
  protocol_seed(dir, 13, s::write_open_args{as_bytes(key), ver, 0});
  protocol_seed(dir, 14, s::write_chunk_args{1, 0, value});
  protocol_seed(dir, 15, s::write_commit_args{1, 300});
  protocol_seed(dir, 16, s::write_abort_args{1});
  protocol_seed(dir, 17, s::read_args{as_bytes(key), 0, 100});
  protocol_seed(dir, 18, s::health{1, 2, 3, 4, "node"});
  protocol_seed(dir, 19, proto::reply{proto::status::no_upload, "gone"});
  protocol_seed(dir, 20, proto::write_res{proto::status::conflict, ver, {}});
  protocol_seed(dir, 21, proto::get_res{proto::status::ok, {info, value}, {}, {}});
  protocol_seed(dir, 22, proto::stat_res{proto::status::not_found, {}, ver, {}});
  protocol_seed(dir, 23, proto::list_res{proto::status::ok, page, {}});
  protocol_seed(dir, 24, proto::write_open_res{proto::status::ok, {9, 1 << 20}, {}});
  protocol_seed(dir, 25, proto::read_res{proto::status::ok, {info, value, true}, {}});
  std::printf("seeds written to %s\n", root.c_str());
  return 0;
}
