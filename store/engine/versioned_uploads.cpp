// Chunked uploads: WRITE_OPEN, WRITE_CHUNK, WRITE_COMMIT, WRITE_ABORT and the idle-upload sweep. Bytes
// stream into the store's upload sink as they arrive; nothing holds a whole object.
#include <algorithm>
#include <mutex>

#include "store/engine/key_rules.hpp"
#include "store/engine/versioned_engine.hpp"

namespace ferry::store::detail {
namespace {

// Disjoint byte ranges one upload may hold before it is refused (bounded bookkeeping per upload).
constexpr std::size_t max_upload_pieces = 4096;

status_result no_upload(std::uint64_t upload_id) {
  return {proto::status::no_upload, "no open upload has id " + std::to_string(upload_id)};
}

}  // namespace

open_result versioned_engine::write_open(xdr::bytes_view key, proto::version ver, std::uint64_t size_hint) {
  const auto refuse = [](outcome why) { return open_result{why.code, 0, 0, std::move(why.detail)}; };
  if (auto bad = check_key(key); !bad.ok()) return refuse(std::move(bad));
  if (size_hint > config_.max_object) {
    return refuse(failure(proto::status::too_big, "size hint " + std::to_string(size_hint) +
                                                      " is over the maximum object size " +
                                                      std::to_string(config_.max_object)));
  }
  // Versions only grow until a tombstone is purged, so a version already beaten now would lose at commit:
  // say so before the client sends gigabytes. (open_result carries no version; the detail names it.)
  if (const auto current = index_.find(xdr::as_chars(key)); current && ver < current->info.ver) {
    return refuse(failure(proto::status::conflict,
                          "version " + to_text(ver) + " is older than the stored " + to_text(current->info.ver)));
  }
  const auto id = uploads_.reserve();
  if (!id) {
    return refuse(failure(proto::status::overloaded,
                          std::to_string(config_.max_open_uploads) + " uploads are open, the most allowed"));
  }
  auto opened = store_->open_upload(*id, xdr::as_chars(key));
  if (!opened.result.ok()) {
    uploads_.release(*id);
    return refuse(std::move(opened.result));
  }
  uploads_.attach(*id, std::make_shared<upload_state>(key_string(key), ver, std::move(opened.sink),
                                                      std::chrono::steady_clock::now()));
  return {proto::status::ok, *id, config_.chunk_size, {}};
}

status_result versioned_engine::write_chunk(std::uint64_t upload_id, std::uint64_t offset, xdr::bytes_view data) {
  const auto state = uploads_.find(upload_id);
  if (!state) return no_upload(upload_id);
  std::lock_guard lock(state->mutex);
  if (!state->sink) return no_upload(upload_id);
  if (offset > config_.max_object || data.size() > config_.max_object - offset) {
    return {proto::status::too_big, clipped("the chunk ends past the maximum object size " +
                                            std::to_string(config_.max_object))};
  }
  if (auto done = state->sink->write_at(offset, data); !done.ok()) {
    // A dead upload must not keep holding the space a full disk needs back.
    if (done.code == proto::status::no_space) {
      state->sink.reset();
      uploads_.take(upload_id);
      done.detail = clipped(done.detail + "; upload aborted");
    }
    return {done.code, std::move(done.detail)};
  }
  state->received.add(offset, offset + data.size());
  if (state->received.pieces() > max_upload_pieces) {
    // Bounds the bookkeeping of an upload that scatters chunks; a pipelining client has a few gaps at most.
    state->sink.reset();
    uploads_.take(upload_id);
    return {proto::status::bad_range, clipped("upload " + std::to_string(upload_id) + " has more than " +
                                              std::to_string(max_upload_pieces) +
                                              " separate byte ranges; upload aborted")};
  }
  state->touched = std::chrono::steady_clock::now();
  return {};
}

write_result versioned_engine::write_commit(std::uint64_t upload_id, std::uint64_t size) {
  const auto state = uploads_.find(upload_id);
  if (!state) return {proto::status::no_upload, {}, no_upload(upload_id).detail};
  std::lock_guard lock(state->mutex);
  if (!state->sink) return {proto::status::no_upload, {}, no_upload(upload_id).detail};
  if (state->received.end() > size) {
    return {proto::status::bad_range, {},
            clipped("commit says " + std::to_string(size) + " bytes but bytes up to " +
                    std::to_string(state->received.end()) + " were written")};
  }
  if (auto gap = state->received.first_gap(size)) {
    return {proto::status::bad_range, {},
            clipped("commit says " + std::to_string(size) + " bytes but bytes [" + std::to_string(gap->first) +
                    ", " + std::to_string(gap->second) + ") are missing")};
  }
  auto result = write_versioned(state->key, state->ver, false, size,
                                [&](const object_record& record) { return state->sink->publish(record); });
  // Whatever the verdict (stored, retried, conflict or failed) the upload is over and its bytes go.
  state->sink.reset();
  uploads_.take(upload_id);
  return result;
}

status_result versioned_engine::write_abort(std::uint64_t upload_id) {
  const auto state = uploads_.take(upload_id);
  if (!state) return no_upload(upload_id);
  std::lock_guard lock(state->mutex);
  if (!state->sink) return no_upload(upload_id);
  state->sink.reset();
  return {};
}

std::size_t versioned_engine::abort_idle_uploads() {
  const auto cutoff = std::chrono::steady_clock::now() - config_.upload_idle_timeout;
  std::size_t aborted = 0;
  for (const auto& [id, state] : uploads_.snapshot()) {
    std::unique_lock lock(state->mutex, std::try_to_lock);
    if (!lock || !state->sink || state->touched > cutoff) continue;  // busy now means not idle
    state->sink.reset();
    uploads_.take(id);
    ++aborted;
  }
  return aborted;
}

}  // namespace ferry::store::detail
