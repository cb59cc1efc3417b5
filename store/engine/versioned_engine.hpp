// The engine's rules, written once for both stores: key checks, last-writer-wins under a per-key lock,
// the ordered index, uploads and garbage collection. Where bytes live is the object_store's business.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "store/engine.hpp"
#include "store/engine/key_locks.hpp"
#include "store/engine/object_index.hpp"
#include "store/engine/object_store.hpp"
#include "store/engine/upload_table.hpp"

namespace ferry::store::detail {

using indexed_key = std::pair<std::string, index_entry>;

class versioned_engine final : public engine {
 public:
  versioned_engine(engine_config config, std::unique_ptr<object_store> store, std::vector<indexed_key> entries,
                   recovery_report report);

  write_result put(xdr::bytes_view key, xdr::bytes_view value, proto::version ver) override;
  get_result get(xdr::bytes_view key) override;
  write_result del(xdr::bytes_view key, proto::version ver) override;
  stat_result stat(xdr::bytes_view key) override;
  list_result list(xdr::bytes_view prefix, xdr::bytes_view cursor, std::uint32_t limit) override;

  open_result write_open(xdr::bytes_view key, proto::version ver, std::uint64_t size_hint) override;
  status_result write_chunk(std::uint64_t upload_id, std::uint64_t offset, xdr::bytes_view data) override;
  write_result write_commit(std::uint64_t upload_id, std::uint64_t size) override;
  status_result write_abort(std::uint64_t upload_id) override;
  read_result read(xdr::bytes_view key, std::uint64_t offset, std::uint32_t length) override;

  health_result health() override;
  std::size_t collect_garbage() override;
  recovery_report recovery() const override { return report_; }

 private:
  /// Compares `ver` with what the key holds and, if newer, calls publish(record) and indexes the result,
  /// all under the key's lock so no other write to the key slips in between.
  using publisher = std::function<outcome(const object_record&)>;
  write_result write_versioned(std::string_view key, proto::version ver, bool tombstone, std::uint64_t size,
                               const publisher& publish);
  std::size_t purge_tombstones();
  std::size_t abort_idle_uploads();

  // Declared before uploads_ so that open uploads (whose sinks refer to the store) are destroyed first.
  const engine_config config_;
  std::unique_ptr<object_store> store_;
  object_index index_;
  key_locks key_locks_;
  upload_table uploads_;
  const steady_time started_;
  const recovery_report report_;
};

}  // namespace ferry::store::detail
