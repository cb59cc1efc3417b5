// The C ABI boundary: argument checks, the FERRY_CLIENT procedures' encoding and decoding, and the
// guarantee that no C++ exception reaches a C caller (each entry point catches everything).
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <atomic>
#include <memory>
#include <new>
#include <optional>

#include "ferry.h"
#include "call_support.hpp"
#include "handle.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/rpc.hpp"

namespace proto = ferry::proto;
namespace xdr = ferry::xdr;
using steady = ferry::clib::clock;
using ferry::clib::outcome;

static_assert(FERRY_OK == static_cast<int>(proto::status::ok));
static_assert(FERRY_NOT_FOUND == static_cast<int>(proto::status::not_found));
static_assert(FERRY_TOO_BIG == static_cast<int>(proto::status::too_big));
static_assert(FERRY_TIMEDOUT == static_cast<int>(proto::status::timedout));
static_assert(FERRY_CONFLICT == static_cast<int>(proto::status::conflict));
static_assert(FERRY_INTERNAL == static_cast<int>(proto::status::internal));
static_assert(FERRY_MAX_KEY == proto::max_key && FERRY_MAX_VALUE == proto::max_value);
static_assert(FERRY_REQUEST_ID_SIZE == proto::request_id_size);
static_assert(FERRY_MAX_LIST == proto::max_list && FERRY_MAX_DETAIL == proto::max_detail);

/// A decoded LIST page: the reply record it was decoded from, and views into it.
struct ferry_list_page {
  std::vector<ferry::xdr::byte> record;
  std::vector<ferry::xdr::bytes_view> keys;
  std::vector<ferry_object_info> infos;
  ferry::xdr::bytes_view next_cursor;
  bool more = false;
};

namespace {

using namespace ferry::clib::support;

/// An empty view's data() may be null; the list accessors promise a valid pointer whenever they succeed.
const void* data_or_empty(xdr::bytes_view b) {
  static const xdr::byte empty = 0;
  return b.empty() ? &empty : b.data();
}

outcome get_value(ferry_t* h, const void* key, std::size_t klen, const ferry_options* opts,
                  std::vector<xdr::byte>& reply, proto::get_res& res) {
  if (h == nullptr) return {FERRY_E_INVALID, 0};
  if (int k = check_key(key, klen); k != FERRY_OK) return {k, 0};
  proto::client::key_args args{view(key, klen), wire_deadline(opts)};
  return transact(h, proto::client::proc::get, args, opts, reply, res);
}

/// PUT through the connection's shared region: the value is copied into a slot and the call names it.
/// nullopt when the path is not available (no region, no free slot, the connection lost): the caller then
/// uses the socket path, with the same idempotency id.
std::optional<outcome> put_through_region(ferry_t* h, const proto::client::put_shm_args& args, const void* value,
                                          steady::time_point deadline, std::vector<xdr::byte>& reply,
                                          proto::write_res& res) {
  std::shared_ptr<ferry::clib::connection> c;
  if (ferry::clib::current_connection(h, deadline, c).code != 0) return std::nullopt;
  auto* region = c->shared_region(deadline);
  if (region == nullptr) return std::nullopt;
  auto slot = region->take(args.value.length);
  if (!slot) return std::nullopt;
  std::memcpy(region->at(*slot), value, args.value.length);
  auto call = args;
  call.value.offset = *slot;
  auto encode = [&](xdr::encoder& out) { return static_cast<bool>(xdr::encode(out, call)); };
  auto got = c->round_trip(static_cast<std::uint32_t>(proto::client::shm_proc::put), encode, deadline, reply);
  if (got.code == FERRY_E_CLOSED) return std::nullopt;  // the region went with the connection
  if (got.code != 0) return got;                         // timed out: ferryd may still read the slot
  region->give_back(*slot);
  return decode_results(reply, res);
}

/// GET into a slot of the connection's region, then into `buf`. nullopt: use the socket path.
std::optional<outcome> get_through_region(ferry_t* h, const void* key, std::size_t klen, void* buf,
                                          std::size_t buflen, std::size_t* vlen, ferry_object_info* info,
                                          const ferry_options* opts) {
  const auto deadline = deadline_of(opts);
  std::shared_ptr<ferry::clib::connection> c;
  if (ferry::clib::current_connection(h, deadline, c).code != 0) return std::nullopt;
  auto* region = c->shared_region(deadline);
  if (region == nullptr) return std::nullopt;
  const auto capacity = static_cast<std::uint32_t>(std::min<std::size_t>(buflen, proto::max_value));
  auto slot = region->take(capacity);
  if (!slot) return std::nullopt;
  proto::client::get_shm_args args{view(key, klen), {*slot, capacity}, wire_deadline(opts)};
  auto encode = [&](xdr::encoder& out) { return static_cast<bool>(xdr::encode(out, args)); };
  std::vector<xdr::byte> reply;
  auto got = c->round_trip(static_cast<std::uint32_t>(proto::client::shm_proc::get), encode, deadline, reply);
  if (got.code == FERRY_E_CLOSED) return std::nullopt;
  if (got.code != 0) return got;
  proto::client::get_shm_res res;
  auto decoded = decode_results(reply, res);
  if (decoded.code == FERRY_OK) {
    *vlen = res.value.length;
    fill_info(info, res.value.info);
    if (res.value.length > capacity) {
      decoded = {FERRY_E_BUFFER_TOO_SMALL, 0};
    } else if (res.value.length != 0) {
      std::memcpy(buf, region->at(*slot), res.value.length);
    }
  }
  region->give_back(*slot);
  return decoded;
}

}  // namespace

extern "C" {

int ferry_abi_version(void) { return FERRY_ABI_VERSION; }

int ferry_open(const char* socket_path, ferry_t** out) {
  if (out == nullptr) return FERRY_E_INVALID;
  *out = nullptr;
  return boundary([&]() -> outcome {
    const char* path = socket_path;
    if (path == nullptr) path = std::getenv(FERRY_SOCKET_ENV);
    if (path == nullptr || *path == '\0') path = FERRY_DEFAULT_SOCKET;
    auto h = std::make_unique<ferry_t>();
    h->path = path;
    std::shared_ptr<ferry::clib::connection> first;  // connect now: an absent ferryd is reported here
    if (auto c = ferry::clib::current_connection(h.get(), deadline_of(nullptr), first); c.code != 0) return c;
    ferry::clib::register_handle(h.get());
    *out = h.release();
    return {};
  });
}

void ferry_close(ferry_t* h) {
  if (h == nullptr) return;
  ferry::clib::unregister_handle(h);
  if (h->conn && h->pid != ::getpid()) h->conn->abandon_in_child();
  delete h;
}

int ferry_put(ferry_t* h, const void* key, size_t klen, const void* value, size_t vlen, const ferry_options* opts) {
  return boundary([&]() -> outcome {
    if (h == nullptr || (value == nullptr && vlen != 0)) return {FERRY_E_INVALID, 0};
    if (int k = check_key(key, klen); k != FERRY_OK) return {k, 0};
    if (vlen > FERRY_MAX_VALUE) return {FERRY_TOO_BIG, 0};
    proto::client::put_args args{view(key, klen), view(value, vlen), wire_deadline(opts), request_id_of(opts),
                                 opts != nullptr ? opts->flags : 0u};
    std::vector<xdr::byte> reply;
    proto::write_res res;
    const auto deadline = deadline_of(opts);
    if (through_region(vlen)) {
      proto::client::put_shm_args shm{args.key, {0, static_cast<std::uint32_t>(vlen)}, args.deadline_ms, args.id,
                                      args.flags};
      if (auto done = put_through_region(h, shm, value, deadline, reply, res)) return *done;
    }
    return transact_until(h, proto::client::proc::put, args, deadline, reply, res);
  });
}

int ferry_get(ferry_t* h, const void* key, size_t klen, void* buf, size_t buflen, size_t* vlen,
              ferry_object_info* info, const ferry_options* opts) {
  return boundary([&]() -> outcome {
    if (vlen == nullptr || (buf == nullptr && buflen != 0)) return {FERRY_E_INVALID, 0};
    *vlen = 0;
    if (h != nullptr && through_region(buflen) && check_key(key, klen) == FERRY_OK) {
      if (auto done = get_through_region(h, key, klen, buf, buflen, vlen, info, opts)) return *done;
    }
    std::vector<xdr::byte> reply;
    proto::get_res res;
    auto got = get_value(h, key, klen, opts, reply, res);
    if (got.code != FERRY_OK) return got;
    *vlen = res.found.data.size();
    fill_info(info, res.found.info);
    if (res.found.data.size() > buflen) return {FERRY_E_BUFFER_TOO_SMALL, 0};
    if (!res.found.data.empty()) std::memcpy(buf, res.found.data.data(), res.found.data.size());
    return {};
  });
}

int ferry_get_alloc(ferry_t* h, const void* key, size_t klen, void** value, size_t* vlen,
                    ferry_object_info* info, const ferry_options* opts) {
  return boundary([&]() -> outcome {
    if (value == nullptr || vlen == nullptr) return {FERRY_E_INVALID, 0};
    *value = nullptr;
    *vlen = 0;
    std::vector<xdr::byte> reply;
    proto::get_res res;
    auto got = get_value(h, key, klen, opts, reply, res);
    if (got.code != FERRY_OK) return got;
    // malloc(0) may return NULL: allocate one byte so a found empty value is never NULL.
    void* p = std::malloc(res.found.data.empty() ? 1 : res.found.data.size());
    if (p == nullptr) return {FERRY_E_NOMEM, ENOMEM};
    if (!res.found.data.empty()) std::memcpy(p, res.found.data.data(), res.found.data.size());
    *value = p;
    *vlen = res.found.data.size();
    fill_info(info, res.found.info);
    return {};
  });
}

void ferry_free(void* p) { std::free(p); }

int ferry_delete(ferry_t* h, const void* key, size_t klen, const ferry_options* opts) {
  return boundary([&]() -> outcome {
    if (h == nullptr) return {FERRY_E_INVALID, 0};
    if (int k = check_key(key, klen); k != FERRY_OK) return {k, 0};
    proto::client::delete_args args{view(key, klen), wire_deadline(opts), request_id_of(opts)};
    std::vector<xdr::byte> reply;
    proto::write_res res;
    return transact(h, proto::client::proc::del, args, opts, reply, res);
  });
}

int ferry_stat(ferry_t* h, const void* key, size_t klen, ferry_object_info* info, const ferry_options* opts) {
  return boundary([&]() -> outcome {
    if (h == nullptr || info == nullptr) return {FERRY_E_INVALID, 0};
    if (int k = check_key(key, klen); k != FERRY_OK) return {k, 0};
    proto::client::key_args args{view(key, klen), wire_deadline(opts)};
    std::vector<xdr::byte> reply;
    proto::stat_res res;
    auto got = transact(h, proto::client::proc::stat, args, opts, reply, res);
    if (got.code == FERRY_OK) fill_info(info, res.info);
    return got;
  });
}

const char* ferry_last_detail(void) { return ferry::clib::support::last_detail; }

int ferry_list(ferry_t* h, const void* prefix, size_t plen, const void* cursor, size_t clen, uint32_t limit,
               ferry_list_page** page, const ferry_options* opts) {
  return boundary([&]() -> outcome {
    if (page == nullptr) return {FERRY_E_INVALID, 0};
    *page = nullptr;
    if (h == nullptr || (prefix == nullptr && plen != 0) || (cursor == nullptr && clen != 0))
      return {FERRY_E_INVALID, 0};
    if (plen > FERRY_MAX_KEY) return {FERRY_BAD_KEY, 0};
    if (clen > FERRY_MAX_KEY || limit > FERRY_MAX_LIST) return {FERRY_E_INVALID, 0};
    proto::client::list_args args{view(prefix, plen), view(cursor, clen), limit, wire_deadline(opts)};
    auto out = std::make_unique<ferry_list_page>();
    proto::list_res res;
    auto got = transact(h, proto::client::proc::list, args, opts, out->record, res);
    if (got.code != FERRY_OK) return got;
    // res views into out->record, whose buffer stays put for the page's life.
    out->keys.reserve(res.page.entries.size());
    out->infos.reserve(res.page.entries.size());
    for (const auto& e : res.page.entries) {
      out->keys.push_back(e.key);
      fill_info(&out->infos.emplace_back(), e.info);
    }
    out->next_cursor = res.page.next_cursor;
    out->more = res.page.more;
    *page = out.release();
    return {};
  });
}

size_t ferry_list_count(const ferry_list_page* page) { return page != nullptr ? page->keys.size() : 0; }

const void* ferry_list_key(const ferry_list_page* page, size_t i, size_t* klen) {
  bool in_range = page != nullptr && i < page->keys.size();
  if (klen != nullptr) *klen = in_range ? page->keys[i].size() : 0;
  return in_range ? data_or_empty(page->keys[i]) : nullptr;
}

const ferry_object_info* ferry_list_info(const ferry_list_page* page, size_t i) {
  return page != nullptr && i < page->infos.size() ? &page->infos[i] : nullptr;
}

int ferry_list_more(const ferry_list_page* page) { return page != nullptr && page->more ? 1 : 0; }

const void* ferry_list_next_cursor(const ferry_list_page* page, size_t* clen) {
  if (clen != nullptr) *clen = page != nullptr ? page->next_cursor.size() : 0;
  return page != nullptr ? data_or_empty(page->next_cursor) : nullptr;
}

void ferry_list_free(ferry_list_page* page) { delete page; }

const char* ferry_strerror(int status) {
  if (status >= 0 && status <= FERRY_INTERNAL)
    return proto::describe(static_cast<proto::status>(status)).data();  // literals: NUL-terminated
  switch (status) {
    case FERRY_E_CONNECT: return "ferryd could not be reached (is it running? see errno and FERRY_SOCKET)";
    case FERRY_E_PROTOCOL: return "ferryd sent a reply that is not valid FERRY_CLIENT";
    case FERRY_E_CLOSED: return "the connection to ferryd was lost";
    case FERRY_E_INVALID: return "invalid argument";
    case FERRY_E_BUFFER_TOO_SMALL: return "the buffer is smaller than the value (the size needed was returned)";
    case FERRY_E_NOMEM: return "out of memory";
    case FERRY_E_RPC: return "ferryd refused the call at the RPC level (program, version or procedure)";
    default: return "unknown ferry status";
  }
}

}  // extern "C"
