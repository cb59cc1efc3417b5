// What every C entry point shares: the boundary that turns exceptions and outcomes into status codes,
// ferry_last_detail's per-thread text, option helpers, and sending one procedure and decoding its result.
#pragma once

#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>
#include <string_view>

#include "ferry.h"
#include "handle.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/rpc.hpp"

namespace ferry::clib::support {

namespace proto = ferry::proto;
namespace xdr = ferry::xdr;
using steady = ferry::clib::clock;
using ferry::clib::outcome;

// ferry_last_detail(): per thread like errno, fixed size so setting it never allocates.
inline thread_local char last_detail[FERRY_MAX_DETAIL + 1] = "";

inline void set_detail(std::string_view d) {
  std::size_t n = std::min<std::size_t>(d.size(), FERRY_MAX_DETAIL);
  if (n != 0) std::memcpy(last_detail, d.data(), n);  // an empty view may have a null data()
  last_detail[n] = '\0';
}

/// Runs `body` (returning an outcome) so that nothing escapes: errno carries the system cause, if any.
template <class Body>
inline int boundary(Body&& body) noexcept {
  outcome r;
  last_detail[0] = '\0';
  try {
    r = body();
  } catch (const std::bad_alloc&) {
    r = {FERRY_E_NOMEM, ENOMEM};
  } catch (...) {
    r = {FERRY_E_INVALID, 0};
  }
  if (r.sys_errno != 0) errno = r.sys_errno;
  return r.code;
}

inline steady::time_point deadline_of(const ferry_options* opts) {
  std::uint32_t ms = (opts != nullptr && opts->deadline_ms != 0) ? opts->deadline_ms : FERRY_DEFAULT_DEADLINE_MS;
  return steady::now() + std::chrono::milliseconds(ms);
}

inline std::uint32_t wire_deadline(const ferry_options* opts) { return opts != nullptr ? opts->deadline_ms : 0; }

inline proto::request_id request_id_of(const ferry_options* opts) {
  proto::request_id id{};
  if (opts != nullptr && opts->request_id != nullptr) {
    std::memcpy(id.data(), opts->request_id, id.size());
    return id;
  }
  // getrandom, not a seeded PRNG: a forked child must never repeat its parent's ids.
  if (::getrandom(id.data(), id.size(), GRND_NONBLOCK) != static_cast<ssize_t>(id.size())) {
    static std::atomic<std::uint64_t> counter{0};
    std::uint64_t a = static_cast<std::uint64_t>(steady::now().time_since_epoch().count());
    std::uint64_t b = (static_cast<std::uint64_t>(::getpid()) << 32) ^ counter.fetch_add(1);
    std::memcpy(id.data(), &a, 8);
    std::memcpy(id.data() + 8, &b, 8);
  }
  return id;
}

/// Key checks the server would make anyway, answered locally with the same status.
inline int check_key(const void* key, std::size_t klen) {
  if (key == nullptr && klen != 0) return FERRY_E_INVALID;
  if (klen == 0 || klen > FERRY_MAX_KEY) return FERRY_BAD_KEY;
  return FERRY_OK;
}

inline xdr::bytes_view view(const void* p, std::size_t n) { return {static_cast<const xdr::byte*>(p), n}; }

/// Decodes an accepted reply's results as R into `res` (views into `reply`); ferryd's detail is kept.
template <class R>
outcome decode_results(const std::vector<xdr::byte>& reply, R& res) {
  auto rpc = xdr::rpc::decode_reply(reply);
  if (!rpc) return {FERRY_E_PROTOCOL, EPROTO};
  if (rpc->stat != xdr::rpc::reply_stat::accepted || rpc->accepted != xdr::rpc::accept_stat::success)
    return {FERRY_E_RPC, 0};
  auto decoded = xdr::decode<R>(rpc->results);
  if (!decoded) return {FERRY_E_PROTOCOL, EPROTO};
  res = std::move(*decoded);
  if (res.code != proto::status::ok) set_detail(res.detail);
  return {static_cast<int>(res.code), 0};
}

/// Sends `args` as procedure `proc` and decodes the accepted results as R into `res` (views into `reply`).
template <class R, class Args>
outcome transact_until(ferry_t* h, proto::client::proc proc, const Args& args, steady::time_point deadline,
                       std::vector<xdr::byte>& reply, R& res) {
  auto encode = [&](xdr::encoder& out) { return static_cast<bool>(xdr::encode(out, args)); };
  auto got = ferry::clib::call(h, static_cast<std::uint32_t>(proc), encode, deadline, reply);
  if (got.code != 0) return got;
  return decode_results(reply, res);
}
template <class R, class Args>
outcome transact(ferry_t* h, proto::client::proc proc, const Args& args, const ferry_options* opts,
                 std::vector<xdr::byte>& reply, R& res) {
  return transact_until(h, proc, args, deadline_of(opts), reply, res);
}

/// Whether a value (or buffer) of `n` bytes goes through the connection's shared region when it has one.
inline bool through_region(std::size_t n) {
  const auto& s = ferry::clib::shm_settings::get();
  return s.region_bytes != 0 && n >= s.threshold;
}

inline void fill_info(ferry_object_info* out, const proto::object_info& in) {
  if (out == nullptr) return;
  out->size = in.size;
  out->version_hlc = in.ver.hlc;
  out->version_writer = in.ver.writer;
  out->mtime_ns = in.mtime_ns;
}

}  // namespace ferry::clib::support
