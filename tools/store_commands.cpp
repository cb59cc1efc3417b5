// ferry-wire's store commands: one blocking rpc_client call (or a chunked sequence) per command.
#include "store_commands.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "actors/router/hlc.hpp"
#include "transport/rpc_client.hpp"
#include "xdr/protocol/store.hpp"

namespace ferry::tools {
namespace {

namespace ps = proto::store;
constexpr std::uint64_t operator_writer = 0xF1;
constexpr std::uint32_t chunk_size = 1u << 20;

std::uint32_t P(ps::proc p) { return static_cast<std::uint32_t>(p); }

proto::version next_version() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return {router::make_hlc(static_cast<std::uint64_t>(ms), 0), operator_writer};
}

std::string text(xdr::bytes_view b) { return std::string(xdr::as_chars(b)); }

int report(proto::status code, std::string_view detail) {
  if (code == proto::status::ok) return 0;
  std::fprintf(stderr, "ferry-wire: %s: %s%s%.*s\n", std::string(proto::to_string(code)).c_str(),
               std::string(proto::describe(code)).c_str(), detail.empty() ? "" : ": ",
               static_cast<int>(detail.size()), detail.data());
  return 1;
}

int need(const std::vector<std::string>& w, std::size_t n, const char* usage) {
  if (w.size() == n) return 0;
  std::fprintf(stderr, "ferry-wire: usage: ferry-wire store HOST:PORT %s\n", usage);
  return 2;
}

int upload(transport::rpc_client& c, const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "ferry-wire: cannot read %s\n", path.c_str());
    return 2;
  }
  std::vector<xdr::byte> keep;
  auto open = c.call<proto::write_open_res>(P(ps::proc::write_open), ps::write_open_args{xdr::as_bytes(key), next_version(), 0}, keep);
  if (open.code != proto::status::ok) return report(open.code, open.detail);
  std::vector<xdr::byte> chunk(chunk_size);
  std::uint64_t offset = 0;
  for (;;) {
    in.read(reinterpret_cast<char*>(chunk.data()), static_cast<std::streamsize>(chunk.size()));
    auto n = static_cast<std::size_t>(in.gcount());
    if (n == 0) break;
    auto r = c.call<proto::reply>(P(ps::proc::write_chunk), ps::write_chunk_args{open.up.upload_id, offset, xdr::bytes_view{chunk.data(), n}}, keep);
    if (r.code != proto::status::ok) return report(r.code, r.detail);
    offset += n;
  }
  auto done = c.call<proto::write_res>(P(ps::proc::write_commit), ps::write_commit_args{open.up.upload_id, offset}, keep);
  if (done.code != proto::status::ok) return report(done.code, done.detail);
  std::printf("uploaded %s: %llu bytes, version %llu.%llu\n", key.c_str(), static_cast<unsigned long long>(offset),
              static_cast<unsigned long long>(done.ver.hlc), static_cast<unsigned long long>(done.ver.writer));
  return 0;
}

int download(transport::rpc_client& c, const std::string& key, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::fprintf(stderr, "ferry-wire: cannot write %s\n", path.c_str());
    return 2;
  }
  std::vector<xdr::byte> keep;
  std::uint64_t offset = 0;
  for (bool eof = false; !eof;) {
    auto r = c.call<proto::read_res>(P(ps::proc::read), ps::read_args{xdr::as_bytes(key), offset, chunk_size}, keep);
    if (r.code != proto::status::ok) return report(r.code, r.detail);
    out.write(reinterpret_cast<const char*>(r.data.data.data()), static_cast<std::streamsize>(r.data.data.size()));
    offset += r.data.data.size();
    eof = r.data.eof;
  }
  std::printf("downloaded %s: %llu bytes\n", key.c_str(), static_cast<unsigned long long>(offset));
  return out ? 0 : 2;
}

int dispatch(transport::rpc_client& c, const std::vector<std::string>& w) {
  std::vector<xdr::byte> keep;
  const auto& verb = w[0];
  if (verb == "health") {
    if (auto e = need(w, 1, "health")) return e;
    auto h = c.call_void<ps::health>(P(ps::proc::health), keep);
    std::printf("node=%s objects=%llu bytes_used=%llu bytes_free=%llu uptime_ms=%llu\n", text(xdr::as_bytes(h.node)).c_str(),
                static_cast<unsigned long long>(h.objects), static_cast<unsigned long long>(h.bytes_used),
                static_cast<unsigned long long>(h.bytes_free), static_cast<unsigned long long>(h.uptime_ms));
    return 0;
  }
  if (verb == "put") {
    if (auto e = need(w, 3, "put KEY VALUE")) return e;
    auto r = c.call<proto::write_res>(P(ps::proc::put), ps::put_args{xdr::as_bytes(w[1]), xdr::as_bytes(w[2]), next_version()}, keep);
    if (r.code == proto::status::ok)
      std::printf("stored %s, version %llu.%llu\n", w[1].c_str(), static_cast<unsigned long long>(r.ver.hlc),
                  static_cast<unsigned long long>(r.ver.writer));
    return report(r.code, r.detail);
  }
  if (verb == "get") {
    if (auto e = need(w, 2, "get KEY")) return e;
    auto r = c.call<proto::get_res>(P(ps::proc::get), ps::key_args{xdr::as_bytes(w[1])}, keep);
    if (r.code == proto::status::ok) std::printf("%s\n", text(r.found.data).c_str());
    return report(r.code, r.detail);
  }
  if (verb == "stat") {
    if (auto e = need(w, 2, "stat KEY")) return e;
    auto r = c.call<proto::stat_res>(P(ps::proc::stat), ps::key_args{xdr::as_bytes(w[1])}, keep);
    if (r.code == proto::status::ok)
      std::printf("size=%llu version=%llu.%llu\n", static_cast<unsigned long long>(r.info.size),
                  static_cast<unsigned long long>(r.info.ver.hlc), static_cast<unsigned long long>(r.info.ver.writer));
    return report(r.code, r.detail);
  }
  if (verb == "delete") {
    if (auto e = need(w, 2, "delete KEY")) return e;
    auto r = c.call<proto::write_res>(P(ps::proc::del), ps::delete_args{xdr::as_bytes(w[1]), next_version()}, keep);
    if (r.code == proto::status::ok) std::printf("deleted %s\n", w[1].c_str());
    return report(r.code, r.detail);
  }
  if (verb == "list") {
    if (w.size() > 2) return need(w, 2, "list [PREFIX]");
    std::string prefix = w.size() == 2 ? w[1] : "", cursor;
    for (;;) {
      auto r = c.call<proto::list_res>(P(ps::proc::list), ps::list_args{xdr::as_bytes(prefix), xdr::as_bytes(cursor), 0}, keep);
      if (r.code != proto::status::ok) return report(r.code, r.detail);
      for (const auto& e : r.page.entries)
        std::printf("%s\t%llu\n", text(e.key).c_str(), static_cast<unsigned long long>(e.info.size));
      if (!r.page.more) return 0;
      cursor = text(r.page.next_cursor);
    }
  }
  if (verb == "upload") {
    if (auto e = need(w, 3, "upload KEY FILE")) return e;
    return upload(c, w[1], w[2]);
  }
  if (verb == "download") {
    if (auto e = need(w, 3, "download KEY FILE")) return e;
    return download(c, w[1], w[2]);
  }
  std::fprintf(stderr, "ferry-wire: unknown store command '%s' (health, put, get, stat, delete, list, upload, download)\n",
               verb.c_str());
  return 2;
}

}  // namespace

int run_store_command(const std::string& host, std::uint16_t port, const std::vector<std::string>& words) {
  if (words.empty()) {
    std::fprintf(stderr, "ferry-wire: store: a command is needed (health, put, get, stat, delete, list, upload, download)\n");
    return 2;
  }
  try {
    transport::rpc_client c(host, port, ps::program, ps::version);
    return dispatch(c, words);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ferry-wire: %s\n", e.what());
    return 2;
  }
}

}  // namespace ferry::tools
