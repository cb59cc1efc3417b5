// ferry-wire: ferry's wire on the command line. `encode put KEY VALUE` prints a record-marked FERRY_CLIENT
// call as hex; `decode` reads such hex from stdin and prints every field, or the exact codec error and
// offset; `store HOST:PORT CMD ...` talks FERRY_STORE to one ferry-store (see store_commands.hpp).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "config/store_settings.hpp"
#include "store_commands.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/record.hpp"
#include "xdr/rpc.hpp"

using namespace ferry;
using namespace ferry::xdr;

namespace {

std::string to_hex(bytes_view b) {
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    out += fmt::format("{:02x}", b[i]);
    if (i + 1 < b.size()) out += (i % 16 == 15) ? '\n' : ' ';
  }
  return out;
}

bool from_hex(const std::string& text, std::vector<byte>& out) {
  int nibble = -1;
  for (char ch : text) {
    int v;
    if (ch >= '0' && ch <= '9') v = ch - '0';
    else if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
    else if (ch >= 'A' && ch <= 'F') v = ch - 'A' + 10;
    else if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') continue;
    else return false;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<byte>(nibble * 16 + v));
      nibble = -1;
    }
  }
  return nibble < 0;
}

std::string printable(bytes_view b) {
  std::string s;
  for (auto c : b) s += (c >= 32 && c < 127) ? static_cast<char>(c) : '.';
  return s;
}

int encode_put(const std::string& key, const std::string& value, std::uint32_t xid) {
  encoder e;
  e.begin_record();
  rpc::encode_call(e, {xid, proto::client::program, proto::client::version,
                       static_cast<std::uint32_t>(proto::client::proc::put), {}, {}});
  auto r = encode(e, proto::client::put_args{as_bytes(key), as_bytes(value), 1000, {}, 0});
  if (!r) {
    std::fprintf(stderr, "ferry-wire: cannot encode: %s (key max %u bytes, value max %u bytes)\n",
                 describe(r.error()).c_str(), proto::max_key, proto::max_value);
    return 1;
  }
  e.end_record();
  std::printf("%s\n", to_hex(e.flatten()).c_str());
  return 0;
}

int decode_stdin() {
  std::string text((std::istreambuf_iterator<char>(std::cin)), {});
  std::vector<byte> wire;
  if (!from_hex(text, wire)) {
    std::fprintf(stderr, "ferry-wire: standard input is not hex\n");
    return 1;
  }
  auto scan = scan_record(wire);
  if (!scan) {
    std::fprintf(stderr, "ferry-wire: bad record mark: %s\n", describe(scan.error()).c_str());
    return 1;
  }
  if (!scan->complete()) {
    std::fprintf(stderr, "ferry-wire: incomplete record: %zu bytes given, at least %zu needed\n", wire.size(),
                 scan->bytes);
    return 1;
  }
  auto payload = record_payload(wire, *scan);
  std::printf("record: %zu payload bytes in %u fragment(s)\n", scan->payload_size, scan->fragments);
  auto call = rpc::decode_call(payload);
  if (!call) {
    std::fprintf(stderr, "ferry-wire: not an RPC call: %s\n", describe(call.error()).c_str());
    return 1;
  }
  const auto& h = call->header;
  std::printf("call: xid=%u prog=0x%08x vers=%u proc=%u cred.flavor=%u\n", h.xid, h.prog, h.vers, h.proc,
              h.cred.flavor);
  if (h.prog != proto::client::program || h.proc != static_cast<std::uint32_t>(proto::client::proc::put)) {
    std::printf("(only FERRY_CLIENT PUT arguments are decoded by this tool)\n");
    return 0;
  }
  auto args = decode<proto::client::put_args>(call->args);
  if (!args) {
    std::fprintf(stderr, "ferry-wire: bad PUT arguments: %s\n", describe(args.error()).c_str());
    return 1;
  }
  std::printf("PUT key=\"%s\" (%zu bytes) value=\"%s\" (%zu bytes) deadline_ms=%u flags=%u\n",
              printable(args->key).c_str(), args->key.size(), printable(args->value).c_str(),
              args->value.size(), args->deadline_ms, args->flags);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ferry-wire: encode and decode FERRY_CLIENT ONC RPC records"};
  app.require_subcommand(1);
  auto* enc = app.add_subcommand("encode", "encode a call as hex");
  auto* put = enc->add_subcommand("put", "a PUT call");
  enc->require_subcommand(1);
  std::string key, value;
  std::uint32_t xid = 1;
  put->add_option("key", key, "object key (1..1024 bytes)")->required();
  put->add_option("value", value, "object value")->required();
  put->add_option("--xid", xid, "transaction id");
  auto* dec = app.add_subcommand("decode", "decode a hex record from standard input");
  auto* store = app.add_subcommand("store", "talk to one ferry-store: health | put KEY VALUE | get KEY | stat KEY | "
                                            "delete KEY | list [PREFIX] | upload KEY FILE | download KEY FILE");
  std::string address;
  std::vector<std::string> words;
  store->add_option("address", address, "HOST:PORT of the ferry-store")->required();
  store->add_option("command", words, "the command and its arguments")->required();
  CLI11_PARSE(app, argc, argv);
  if (put->parsed()) return encode_put(key, value, xid);
  if (dec->parsed()) return decode_stdin();
  if (store->parsed()) {
    std::string host;
    std::uint16_t port = 0;
    if (!config::split_host_port(address, host, port)) {
      std::fprintf(stderr, "ferry-wire: store: expected HOST:PORT, got '%s'\n", address.c_str());
      return 2;
    }
    return tools::run_store_command(host, port, words);
  }
  return 2;
}
