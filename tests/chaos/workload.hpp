// The seeded workload of the data-loss checker and the model it is judged by. Each worker owns a
// disjoint slice of the key space, so "the last acknowledged write of a key" is that worker's, in its
// own order. A value names its key and the worker's sequence number and its bytes follow from them, so a
// read tells exactly which write it shows.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ferry::chaos {

/// One write as the worker attempted it.
struct write_op {
  std::uint64_t seq = 0;
  bool is_delete = false;
};

/// What a worker knows of one key: the last write ferryd acknowledged, and every write attempted after
/// it that was not acknowledged (it may or may not have landed).
struct key_history {
  std::optional<write_op> acked;
  std::vector<write_op> unacked_since;
};

/// A key's state as read back: absent, or the value of the write with sequence number `seq`.
struct observed {
  bool found = false;
  std::uint64_t seq = 0;
  bool well_formed = true;  ///< the bytes are exactly those the write with `seq` put for this key
};

enum class verdict {
  ok,       ///< the last acknowledged write, or a later attempted one
  lost,     ///< older than the last acknowledged write (a value or absence it had replaced)
  corrupt,  ///< bytes no write of this key produced
};

/// Judges a read of a key against its history.
verdict judge(const key_history& h, const observed& o);

std::string key_name(unsigned worker, unsigned slot);
/// The value the write `seq` puts at `key`: its name, then filler of a length that varies with seq.
std::string value_for(const std::string& key, std::uint64_t seq);
/// Parses a value read at `key`.
observed parse_value(const std::string& key, const std::string& value);

struct workload_config {
  unsigned workers = 4;
  unsigned keys_per_worker = 48;
  std::uint32_t deadline_ms = 2000;
  unsigned attempts_per_write = 3;  ///< a write failing with a transient status is retried (same seq)
  std::uint64_t max_ops_per_worker = 1'000'000;
  std::uint64_t seed = 1;
};

struct worker_result {
  std::vector<key_history> keys;  ///< by slot
  std::uint64_t ops = 0;          ///< calls made (retries included)
  std::uint64_t writes_acked = 0;
  std::uint64_t deletes_acked = 0;
  std::uint64_t writes_unacked = 0;  ///< writes given up after every attempt failed
  std::uint64_t failed_calls = 0;    ///< calls answered with anything but success
  std::uint64_t reads = 0;
  std::uint64_t stale_reads = 0;  ///< reads during the run showing an older state than the last ack
  std::uint64_t corrupt_reads = 0;
  std::vector<std::uint64_t> failures_by_status;  ///< indexed by ferry status (0..127)
  std::string error;                              ///< set when the worker could not run at all
};

/// Runs worker `index` against ferryd at `socket` until `stop` is set or its op budget is spent.
worker_result run_worker(const std::string& socket, const workload_config& cfg, unsigned index,
                         const std::atomic<bool>& stop);

}  // namespace ferry::chaos
