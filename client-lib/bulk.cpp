// Streaming: WRITE_OPEN / CHUNK / COMMIT / ABORT uploads whose chunks are pipelined over the handle's
// connection a few deep, and ranged READ. The caller's bytes are referenced by the encoder, not copied.
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "call_support.hpp"

/// An open upload: ferryd's id and chunk size, and the process it belongs to.
struct ferry_upload {
  ferry_t* h = nullptr;
  std::uint64_t id = 0;
  std::uint32_t chunk_size = 0;
  pid_t pid = 0;
};

namespace {

using namespace ferry::clib::support;
namespace pc = proto::client;

constexpr std::uint32_t default_chunk = 1u << 20;  // when ferryd names none (DESIGN.md §6)
constexpr std::size_t pipeline_depth = 4;          // chunks in flight per write

/// One chunk in flight: its waiter must stay put while in the connection's table.
struct chunk_slot {
  ferry::clib::waiter w;
  std::uint32_t xid = 0;
  std::size_t at = 0;  // offset within the caller's range
  std::size_t n = 0;
  std::optional<std::uint64_t> region_slot;  // the chunk travels in the shared region, at this offset
};

bool usable(const ferry_upload* u) { return u != nullptr && u->pid == ::getpid(); }

outcome send_chunk_with_retry(ferry_upload* u, std::uint64_t offset, const xdr::byte* data, std::size_t n,
                              steady::time_point deadline, std::uint32_t wire_ms) {
  pc::write_chunk_args args{u->id, offset, {data, n}, wire_ms};
  std::vector<xdr::byte> reply;
  proto::reply res;
  return transact_until(u->h, pc::proc::write_chunk, args, deadline, reply, res);
}

/// Cuts [data, data+len) into chunks and keeps up to pipeline_depth of them in flight on one connection.
/// Chunks lost with the connection are sent again (with the retry rule) once the window has drained:
/// a chunk is idempotent (same bytes at the same offset).
outcome write_range(ferry_upload* u, std::uint64_t offset, const xdr::byte* data, std::size_t len,
                    steady::time_point deadline, std::uint32_t wire_ms) {
  std::shared_ptr<ferry::clib::connection> c;
  if (auto got = ferry::clib::current_connection(u->h, deadline, c); got.code != 0) return got;
  std::array<chunk_slot, pipeline_depth> slots;
  // Chunks at or above the threshold go through the connection's region when it has room.
  ferry::clib::shm_region* region = through_region(std::min<std::size_t>(u->chunk_size, len)) ? c->shared_region(deadline)
                                                                                                : nullptr;
  std::vector<std::pair<std::size_t, std::size_t>> lost;  // (at, n) to resend
  outcome first_error;
  std::size_t head = 0;
  std::size_t in_flight = 0;
  auto reap = [&](chunk_slot& s) {
    std::vector<xdr::byte> reply;
    auto got = c->finish(s.w, s.xid, deadline, reply);
    if (got.code == FERRY_E_CLOSED) lost.emplace_back(s.at, s.n);
    else if (got.code == 0) {
      if (s.region_slot) region->give_back(*s.region_slot);  // answered: ferryd is done with the slot
      proto::reply res;
      got = decode_results(reply, res);
    }  // timed out: the slot stays taken (ferryd may still read it) until the connection goes
    if (got.code != 0 && got.code != FERRY_E_CLOSED && first_error.code == 0) first_error = got;
  };
  std::size_t pos = 0;
  while (pos < len || in_flight != 0) {
    if (pos < len && in_flight < pipeline_depth && first_error.code == 0) {
      chunk_slot& s = slots[(head + in_flight) % pipeline_depth];
      std::size_t n = std::min<std::size_t>(u->chunk_size, len - pos);
      s.w.done = false;
      s.w.reply.clear();
      s.region_slot = region != nullptr && through_region(n) ? region->take(n) : std::nullopt;
      outcome sent;
      if (s.region_slot) {
        std::memcpy(region->at(*s.region_slot), data + pos, n);
        pc::write_chunk_shm_args args{u->id, offset + pos, {*s.region_slot, static_cast<std::uint32_t>(n)}, wire_ms};
        auto encode = [&](xdr::encoder& out) { return static_cast<bool>(xdr::encode(out, args)); };
        sent = c->start(s.w, static_cast<std::uint32_t>(pc::shm_proc::write_chunk), encode, deadline, s.xid);
        if (sent.code != 0) region->give_back(*s.region_slot);  // never reached ferryd whole: not read
      } else {
        pc::write_chunk_args args{u->id, offset + pos, {data + pos, n}, wire_ms};
        auto encode = [&](xdr::encoder& out) { return static_cast<bool>(xdr::encode(out, args)); };
        sent = c->start(s.w, static_cast<std::uint32_t>(pc::proc::write_chunk), encode, deadline, s.xid);
      }
      if (sent.code == FERRY_E_CLOSED) lost.emplace_back(pos, n);
      else if (sent.code != 0) first_error = sent;
      else {
        s.at = pos;
        s.n = n;
        ++in_flight;
      }
      pos += n;
      continue;
    }
    if (in_flight == 0) break;  // stopped issuing after an error
    reap(slots[head]);
    head = (head + 1) % pipeline_depth;
    --in_flight;
  }
  if (first_error.code != 0) return first_error;
  for (auto [at, n] : lost) {
    if (auto got = send_chunk_with_retry(u, offset + at, data + at, n, deadline, wire_ms); got.code != 0)
      return got;
  }
  return {};
}

/// One READ into a slot of the connection's region, then into `buf`. nullopt: use the socket path.
std::optional<outcome> read_through_region(ferry_t* h, const void* key, std::size_t klen, std::uint64_t offset,
                                           std::uint32_t length, void* buf, std::size_t* got, int* eof,
                                           ferry_object_info* info, const ferry_options* opts) {
  const auto deadline = deadline_of(opts);
  std::shared_ptr<ferry::clib::connection> c;
  if (ferry::clib::current_connection(h, deadline, c).code != 0) return std::nullopt;
  auto* region = c->shared_region(deadline);
  if (region == nullptr) return std::nullopt;
  auto slot = region->take(length);
  if (!slot) return std::nullopt;
  pc::read_shm_args args{view(key, klen), offset, {*slot, length}, wire_deadline(opts)};
  auto encode = [&](xdr::encoder& out) { return static_cast<bool>(xdr::encode(out, args)); };
  std::vector<xdr::byte> reply;
  auto r = c->round_trip(static_cast<std::uint32_t>(pc::shm_proc::read), encode, deadline, reply);
  if (r.code == FERRY_E_CLOSED) return std::nullopt;
  if (r.code != 0) return r;  // timed out: the slot stays taken until the connection goes
  pc::read_shm_res res;
  r = decode_results(reply, res);
  if (r.code == FERRY_OK) {
    if (res.chunk.length > length) {
      r = {FERRY_E_PROTOCOL, EPROTO};  // more than asked for
    } else {
      if (res.chunk.length != 0) std::memcpy(buf, region->at(*slot), res.chunk.length);
      *got = res.chunk.length;
      *eof = res.chunk.eof ? 1 : 0;
      fill_info(info, res.chunk.info);
    }
  }
  region->give_back(*slot);
  return r;
}

}  // namespace

extern "C" {

int ferry_upload_open(ferry_t* h, const void* key, size_t klen, uint64_t size_hint, ferry_upload** upload,
                      const ferry_options* opts) {
  return boundary([&]() -> outcome {
    if (upload == nullptr) return {FERRY_E_INVALID, 0};
    *upload = nullptr;
    if (h == nullptr) return {FERRY_E_INVALID, 0};
    if (int k = check_key(key, klen); k != FERRY_OK) return {k, 0};
    pc::write_open_args args{view(key, klen), size_hint, wire_deadline(opts), request_id_of(opts)};
    std::vector<xdr::byte> reply;
    proto::write_open_res res;
    auto got = transact(h, pc::proc::write_open, args, opts, reply, res);
    if (got.code != FERRY_OK) return got;
    auto u = std::make_unique<ferry_upload>();
    u->h = h;
    u->id = res.up.upload_id;
    u->chunk_size = res.up.chunk_size == 0 ? default_chunk : std::min(res.up.chunk_size, proto::max_chunk);
    u->pid = ::getpid();
    *upload = u.release();
    return {};
  });
}

int ferry_upload_write(ferry_upload* upload, uint64_t offset, const void* data, size_t len,
                       const ferry_options* opts) {
  return boundary([&]() -> outcome {
    if (!usable(upload) || (data == nullptr && len != 0)) return {FERRY_E_INVALID, 0};
    if (len == 0) return {};
    if (offset + len < offset) return {FERRY_BAD_RANGE, 0};
    return write_range(upload, offset, static_cast<const xdr::byte*>(data), len, deadline_of(opts),
                       wire_deadline(opts));
  });
}

int ferry_upload_commit(ferry_upload* upload, uint64_t total_size, ferry_object_info* info,
                        const ferry_options* opts) {
  return boundary([&]() -> outcome {
    if (!usable(upload)) return {FERRY_E_INVALID, 0};
    pc::write_commit_args args{upload->id, total_size, wire_deadline(opts)};
    std::vector<xdr::byte> reply;
    proto::write_res res;
    auto got = transact(upload->h, pc::proc::write_commit, args, opts, reply, res);
    if (got.code != FERRY_OK) return got;
    if (info != nullptr) *info = {total_size, res.ver.hlc, res.ver.writer, 0};
    delete upload;
    return {};
  });
}

int ferry_upload_abort(ferry_upload* upload) {
  if (upload == nullptr) return FERRY_OK;
  std::unique_ptr<ferry_upload> owned{upload};
  return boundary([&]() -> outcome {
    if (!usable(upload)) return {FERRY_E_INVALID, 0};  // the parent's: only the parent may abort it
    pc::write_abort_args args{upload->id};
    std::vector<xdr::byte> reply;
    proto::reply res;
    return transact(upload->h, pc::proc::write_abort, args, nullptr, reply, res);
  });
}

uint32_t ferry_upload_chunk_size(const ferry_upload* upload) { return upload != nullptr ? upload->chunk_size : 0; }

int ferry_read(ferry_t* h, const void* key, size_t klen, uint64_t offset, void* buf, size_t buflen, size_t* got,
               int* eof, ferry_object_info* info, const ferry_options* opts) {
  return boundary([&]() -> outcome {
    if (got == nullptr || eof == nullptr) return {FERRY_E_INVALID, 0};
    *got = 0;
    *eof = 0;
    if (h == nullptr || (buf == nullptr && buflen != 0)) return {FERRY_E_INVALID, 0};
    if (int k = check_key(key, klen); k != FERRY_OK) return {k, 0};
    auto length = static_cast<std::uint32_t>(std::min<std::size_t>(buflen, proto::max_chunk));
    if (through_region(length)) {
      if (auto done = read_through_region(h, key, klen, offset, length, buf, got, eof, info, opts)) return *done;
    }
    pc::read_args args{view(key, klen), offset, length, wire_deadline(opts)};
    std::vector<xdr::byte> reply;
    proto::read_res res;
    auto r = transact(h, pc::proc::read, args, opts, reply, res);
    if (r.code != FERRY_OK) return r;
    if (res.data.data.size() > length) return {FERRY_E_PROTOCOL, EPROTO};  // more than asked for
    if (!res.data.data.empty()) std::memcpy(buf, res.data.data.data(), res.data.data.size());
    *got = res.data.data.size();
    *eof = res.data.eof ? 1 : 0;
    fill_info(info, res.data.info);
    return {};
  });
}

}  // extern "C"
