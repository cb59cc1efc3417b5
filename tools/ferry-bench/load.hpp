// The load of ferry-bench: one thread per connection, each a small loop over one blocking socket (ppoll for
// replies, gather sends), closed loop (D calls in flight) or open loop (calls at a fixed rate, latency from
// each call's intended send time, so a stall is charged to every call it delayed).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "histogram.hpp"
#include "options.hpp"

namespace ferry::bench {

struct load_result {
  latency_histogram latency;                      // measured operations, ok or not, in ns
  std::uint64_t ok = 0;                           // measured operations answered OK
  std::uint64_t bytes = 0;                        // value bytes moved by them (PUT sent, GET received)
  std::map<std::string, std::uint64_t> errors;    // measured operations that failed, by status
  std::uint64_t prefill_errors = 0;               // untimed set-up writes that failed (GET needs its keys)
  double elapsed_seconds = 0;                     // start of the interval to the last measured answer
  double client_cpu_seconds = 0;                  // this process (getrusage), over the interval
  std::vector<std::pair<pid_t, std::optional<double>>> pid_cpu_seconds;  // --pids, over the interval

  std::uint64_t error_count() const;
  void merge_errors(const load_result& other);
};

/// Runs the load the options describe; bounded by ops, seconds and drain_seconds.
load_result run_load(const options& o);

/// utime + stime of a process in seconds from /proc/PID/stat; nullopt when unreadable.
std::optional<double> process_cpu_seconds(pid_t pid);
/// VmRSS of a process in KiB from /proc/PID/status; nullopt when unreadable.
std::optional<long> process_rss_kib(pid_t pid);

}  // namespace ferry::bench
