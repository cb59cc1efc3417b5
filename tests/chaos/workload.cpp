// The workers of the data-loss checker: seeded puts, deletes and reads over an owned key slice, with
// every acknowledged write recorded; and the judge of what a key reads back as.
#include "workload.hpp"

#include <algorithm>
#include <charconv>
#include <random>
#include <thread>

#include <ferry.h>

namespace ferry::chaos {

namespace {

bool retryable(int rc) {
  return rc == FERRY_TIMEDOUT || rc == FERRY_UNAVAILABLE || rc == FERRY_OVERLOADED || rc == FERRY_SHUTTING_DOWN ||
         rc == FERRY_E_CONNECT || rc == FERRY_E_CLOSED;
}

bool matches(const write_op& w, const observed& o) {
  return w.is_delete ? !o.found : (o.found && o.seq == w.seq);
}

}  // namespace

verdict judge(const key_history& h, const observed& o) {
  if (o.found && !o.well_formed) return verdict::corrupt;
  if (h.acked && matches(*h.acked, o)) return verdict::ok;
  for (const auto& w : h.unacked_since)
    if (matches(w, o)) return verdict::ok;
  if (!h.acked) return o.found ? verdict::corrupt : verdict::ok;  // never acknowledged: absent is fine
  if (!o.found) return verdict::lost;                              // an acknowledged put vanished
  if (o.seq < h.acked->seq) return verdict::lost;                  // an older value came back
  return verdict::corrupt;                                         // a write never attempted
}

std::string key_name(unsigned worker, unsigned slot) {
  return "chaos/w" + std::to_string(worker) + "/k" + std::to_string(slot);
}

std::string value_for(const std::string& key, std::uint64_t seq) {
  std::string v = key + "#" + std::to_string(seq) + "#";
  v.append((seq * 37) % 512, static_cast<char>('a' + seq % 26));
  return v;
}

observed parse_value(const std::string& key, const std::string& value) {
  observed o;
  o.found = true;
  o.well_formed = false;
  const auto head = key + "#";
  if (!value.starts_with(head)) return o;
  const char* first = value.data() + head.size();
  const char* last = value.data() + value.size();
  auto [end, ec] = std::from_chars(first, last, o.seq);
  if (ec != std::errc{} || end == last || *end != '#') return o;
  o.well_formed = value == value_for(key, o.seq);
  return o;
}

worker_result run_worker(const std::string& socket, const workload_config& cfg, unsigned index,
                         const std::atomic<bool>& stop) {
  worker_result r;
  r.keys.resize(cfg.keys_per_worker);
  r.failures_by_status.assign(128, 0);
  ferry_t* h = nullptr;
  if (int rc = ferry_open(socket.c_str(), &h); rc != FERRY_OK) {
    r.error = std::string("ferry_open: ") + ferry_strerror(rc);
    return r;
  }
  std::mt19937_64 rng(cfg.seed * 1000003 + index);
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = cfg.deadline_ms;
  std::uint64_t seq = 0;
  auto count_failure = [&](int rc) {
    ++r.failed_calls;
    ++r.failures_by_status[static_cast<std::size_t>(std::clamp(rc, 0, 127))];
  };

  while (!stop.load(std::memory_order_relaxed) && r.ops < cfg.max_ops_per_worker) {
    const auto slot = static_cast<unsigned>(rng() % cfg.keys_per_worker);
    const auto key = key_name(index, slot);
    auto& hist = r.keys[slot];
    const auto dice = rng() % 100;

    if (dice < 15) {  // a read, judged against what this worker knows
      void* value = nullptr;
      std::size_t vlen = 0;
      ++r.ops;
      int rc = ferry_get_alloc(h, key.data(), key.size(), &value, &vlen, nullptr, &o);
      if (rc == FERRY_OK || rc == FERRY_NOT_FOUND) {
        ++r.reads;
        observed seen;
        if (rc == FERRY_OK) seen = parse_value(key, std::string(static_cast<const char*>(value), vlen));
        switch (judge(hist, seen)) {
          case verdict::ok: break;
          case verdict::lost: ++r.stale_reads; break;
          case verdict::corrupt: ++r.corrupt_reads; break;
        }
      } else {
        count_failure(rc);
      }
      ferry_free(value);
      continue;
    }

    const write_op w{++seq, dice >= 80};
    const auto value = value_for(key, w.seq);
    bool acked = false;
    for (unsigned attempt = 0; attempt < cfg.attempts_per_write && !acked; ++attempt) {
      ++r.ops;
      int rc = w.is_delete ? ferry_delete(h, key.data(), key.size(), &o)
                           : ferry_put(h, key.data(), key.size(), value.data(), value.size(), &o);
      if (rc == FERRY_OK || (w.is_delete && rc == FERRY_NOT_FOUND)) {
        acked = true;
        break;
      }
      count_failure(rc);
      if (!retryable(rc) || stop.load(std::memory_order_relaxed)) break;
      // Back off so a worker does not spin through an outage (ferryd restarting answers E_CONNECT at once).
      std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
    }
    if (acked) {
      hist.acked = w;
      hist.unacked_since.clear();
      ++(w.is_delete ? r.deletes_acked : r.writes_acked);
    } else {
      hist.unacked_since.push_back(w);
      ++r.writes_unacked;
    }
  }
  ferry_close(h);
  return r;
}

}  // namespace ferry::chaos
