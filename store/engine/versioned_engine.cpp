// PUT, GET, DELETE, STAT, LIST, HEALTH and garbage collection on top of an object_store.
#include "store/engine/versioned_engine.hpp"

#include <chrono>
#include <mutex>

#include "store/engine/key_rules.hpp"
#include "store/engine/last_writer_wins.hpp"

namespace ferry::store::detail {
namespace {

std::uint64_t wall_clock_ns() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count());
}

write_result rejected(outcome why) { return {why.code, {}, std::move(why.detail)}; }

/// Fills result with BAD_KEY and says so when the key is not 1..1024 bytes.
template <class Result>
bool refused_key(xdr::bytes_view key, Result& result) {
  auto bad = check_key(key);
  if (bad.ok()) return false;
  result.code = bad.code;
  result.detail = std::move(bad.detail);
  return true;
}

}  // namespace

versioned_engine::versioned_engine(engine_config config, std::unique_ptr<object_store> store,
                                   std::vector<indexed_key> entries, recovery_report report)
    : config_(std::move(config)),
      store_(std::move(store)),
      uploads_(config_.max_open_uploads),
      started_(std::chrono::steady_clock::now()),
      report_(std::move(report)) {
  for (const auto& [key, entry] : entries) index_.set(key, entry);
}

write_result versioned_engine::write_versioned(std::string_view key, proto::version ver, bool tombstone,
                                               std::uint64_t size, const publisher& publish) {
  std::lock_guard key_lock(key_locks_.of(key));
  const auto current = index_.find(key);
  switch (judge(current ? std::optional(current->info.ver) : std::nullopt, ver)) {
    case verdict::same:
      return {proto::status::ok, ver, {}};
    case verdict::stale:
      return {proto::status::conflict, current->info.ver,
              clipped("version " + to_text(ver) + " is older than the stored " + to_text(current->info.ver))};
    case verdict::apply:
      break;
  }
  const object_record record{key, {size, ver, wall_clock_ns()}, tombstone};
  if (auto done = publish(record); !done.ok()) return rejected(std::move(done));
  // Indexed only now: a write is visible to STAT and LIST once it is durable, never before.
  index_.set(key, {record.info, tombstone});
  return {proto::status::ok, ver, {}};
}

write_result versioned_engine::put(xdr::bytes_view key, xdr::bytes_view value, proto::version ver) {
  if (auto bad = check_key(key); !bad.ok()) return rejected(std::move(bad));
  if (value.size() > config_.max_value) {
    return rejected(failure(proto::status::too_big, "the value is " + std::to_string(value.size()) +
                                                        " bytes; the maximum is " + std::to_string(config_.max_value) +
                                                        " (use WRITE_OPEN for larger objects)"));
  }
  return write_versioned(xdr::as_chars(key), ver, false, value.size(),
                         [&](const object_record& record) { return store_->publish(record, value); });
}

write_result versioned_engine::del(xdr::bytes_view key, proto::version ver) {
  if (auto bad = check_key(key); !bad.ok()) return rejected(std::move(bad));
  // A tombstone is written even for a key never seen: it must outvote an older PUT still in flight.
  return write_versioned(xdr::as_chars(key), ver, true, 0,
                         [&](const object_record& record) { return store_->publish(record, {}); });
}

get_result versioned_engine::get(xdr::bytes_view key) {
  get_result result;
  if (refused_key(key, result)) return result;
  auto found = store_->fetch(xdr::as_chars(key), {0, config_.max_value, config_.max_value});
  result.code = found.result.code;
  result.detail = std::move(found.result.detail);
  if (result.code == proto::status::ok) {
    result.info = found.info;
    result.data = std::move(found.data);
  } else if (result.code == proto::status::not_found) {
    result.tombstone = found.info.ver;
  }
  return result;
}

stat_result versioned_engine::stat(xdr::bytes_view key) {
  stat_result result;
  if (refused_key(key, result)) return result;
  const auto entry = index_.find(xdr::as_chars(key));
  if (!entry || entry->tombstone) {
    result.code = proto::status::not_found;
    result.tombstone = entry ? entry->info.ver : proto::version{};
    result.detail = entry ? "deleted at version " + to_text(entry->info.ver) : "no object has this key";
    return result;
  }
  result.info = entry->info;
  return result;
}

list_result versioned_engine::list(xdr::bytes_view prefix, xdr::bytes_view cursor, std::uint32_t limit) {
  if (prefix.size() > proto::max_key || cursor.size() > proto::max_key) {
    list_result result;
    result.code = proto::status::bad_key;
    result.detail = "prefix and cursor are at most 1024 bytes";
    return result;
  }
  return index_.list(xdr::as_chars(prefix), xdr::as_chars(cursor), limit);
}

read_result versioned_engine::read(xdr::bytes_view key, std::uint64_t offset, std::uint32_t length) {
  read_result result;
  if (refused_key(key, result)) return result;
  const std::uint64_t capped = std::min(length, proto::max_chunk);
  auto found = store_->fetch(xdr::as_chars(key), {offset, capped});
  result.code = found.result.code;
  result.detail = std::move(found.result.detail);
  result.info = found.info;
  if (result.code == proto::status::ok) {
    result.data = std::move(found.data);
    result.eof = offset + result.data->size() == found.info.size;
  }
  return result;
}

health_result versioned_engine::health() {
  const auto totals = index_.count();
  const auto up = std::chrono::steady_clock::now() - started_;
  return {totals.objects, totals.bytes, store_->free_bytes(),
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(up).count()),
          config_.node_name};
}

std::size_t versioned_engine::collect_garbage() { return purge_tombstones() + abort_idle_uploads(); }

std::size_t versioned_engine::purge_tombstones() {
  const auto retention_ns =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(config_.tombstone_retention).count());
  const auto now = wall_clock_ns();
  if (retention_ns > now) return 0;
  std::size_t purged = 0;
  for (const auto& due : index_.tombstones_until(now - retention_ns)) {
    std::lock_guard key_lock(key_locks_.of(due.key));
    // The key may have been rewritten since the scan; only the very tombstone seen goes.
    const auto entry = index_.find(due.key);
    if (!entry || !entry->tombstone || entry->info.ver != due.ver) continue;
    if (!store_->forget(due.key).ok()) continue;  // left for the next round
    purged += index_.erase_tombstone(due.key, due.ver) ? 1 : 0;
  }
  return purged;
}

}  // namespace ferry::store::detail
