// The data-loss checker: a seeded workload through ferryd (3 durable ferry-stores, R = 3, W = 2) while a
// seeded chaos driver kills and restarts a store, pauses one (SIGSTOP/SIGCONT), or kills and restarts
// ferryd, never more than one store down or paused at a time. Once every fault is healed, each key must
// hold its last acknowledged write or a later attempted one: on the stores (newest version among the
// replicas, asked directly) and as read through ferryd.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "chaos_cluster.hpp"
#include "chaos_report.hpp"
#include "daemon_fixture.hpp"
#include "transport/rpc_client.hpp"
#include "workload.hpp"
#include "xdr/protocol/store.hpp"

namespace ferry::chaos {
namespace {

namespace ps = proto::store;
using clock = std::chrono::steady_clock;

#ifdef FERRY_SANITIZE_BUILD
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

struct fault_counts {
  std::uint64_t store_kills = 0;
  std::uint64_t store_pauses = 0;
  std::uint64_t ferryd_kills = 0;
  std::uint64_t total() const { return store_kills + store_pauses + ferryd_kills; }
};

struct driver_result {
  fault_counts faults;
  std::chrono::milliseconds longest_heal{0};  ///< fault removed → ferryd writing to every store again
  std::string error;
};

/// Injects one fault at a time until `until`: a calm spell, a fault held for a while, its repair, and a
/// wait (bounded) until ferryd writes to every store again, so at most one store is ever missing.
driver_result run_chaos(durable_cluster& c, std::uint64_t seed, clock::time_point until) {
  driver_result r;
  std::mt19937_64 rng(seed);
  auto ms_between = [&](unsigned lo, unsigned hi) { return std::chrono::milliseconds(lo + rng() % (hi - lo + 1)); };
  const auto heal_limit = sanitized ? 40s : 20s;
  std::array<int, 3> kinds{0, 1, 2};  // store SIGKILL, store SIGSTOP, ferryd SIGKILL
  try {
    for (std::uint64_t n = 0; n < 10'000 && clock::now() < until; ++n) {
      std::this_thread::sleep_for(ms_between(200, 1200));  // calm: the workload runs on a whole cluster
      if (clock::now() >= until) break;
      // Every kind in each round of three, in a seeded order, so a short run sees all of them.
      if (n % 3 == 0) std::shuffle(kinds.begin(), kinds.end(), rng);
      const auto kind = kinds[n % 3];
      const auto store = static_cast<std::size_t>(rng() % c.size());
      if (kind == 0) {
        c.kill_store(store);
        ++r.faults.store_kills;
        std::this_thread::sleep_for(ms_between(100, 1500));  // the outage
        c.restart_store(store);
      } else if (kind == 1) {
        c.pause_store(store);
        ++r.faults.store_pauses;
        std::this_thread::sleep_for(ms_between(300, 2500));
        c.resume_store(store);
      } else {
        c.kill_ferryd();
        ++r.faults.ferryd_kills;
        std::this_thread::sleep_for(ms_between(50, 800));
        c.restart_ferryd();
      }
      const auto healing = clock::now();
      if (!c.serves_from_every_store(heal_limit)) {
        r.error = "ferryd did not write to every store again within the heal limit after fault " + std::to_string(n);
        return r;
      }
      r.longest_heal = std::max(r.longest_heal,
                                std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - healing));
    }
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

/// A key's state on one store: the value or tombstone and its version; nullopt when the store fails.
struct replica_state {
  observed seen;
  proto::version ver;
};

std::optional<replica_state> read_replica(std::uint16_t port, const std::string& key) {
  try {
    transport::rpc_client rc(port, ps::program, ps::version);
    daemon_test::bytes keep;
    auto got = rc.call<proto::get_res>(static_cast<std::uint32_t>(ps::proc::get), ps::key_args{xdr::as_bytes(key)},
                                      keep);
    replica_state s;
    if (got.code == proto::status::ok) {
      s.seen = parse_value(key, std::string(xdr::as_chars(got.found.data)));
      s.ver = got.found.info.ver;
    } else if (got.code == proto::status::not_found) {
      s.ver = got.tombstone;
    } else {
      return std::nullopt;
    }
    return s;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

const char* status_name(int s) {
  switch (s) {
    case FERRY_TIMEDOUT: return "TIMEDOUT";
    case FERRY_UNAVAILABLE: return "UNAVAILABLE";
    case FERRY_OVERLOADED: return "OVERLOADED";
    case FERRY_CONFLICT: return "CONFLICT";
    case FERRY_SHUTTING_DOWN: return "SHUTTING_DOWN";
    case FERRY_INTERNAL: return "INTERNAL";
    case FERRY_E_CONNECT: return "E_CONNECT";
    case FERRY_E_CLOSED: return "E_CLOSED";
    case FERRY_E_PROTOCOL: return "E_PROTOCOL";
    default: return ferry_strerror(s);
  }
}

std::string status_breakdown(const std::vector<std::uint64_t>& by_status) {
  std::ostringstream out;
  bool first = true;
  for (std::size_t s = 0; s < by_status.size(); ++s) {
    if (!by_status[s]) continue;
    out << (first ? "" : ", ") << status_name(static_cast<int>(s)) << " " << by_status[s];
    first = false;
  }
  return first ? "none" : out.str();
}

}  // namespace

TEST_CASE("no acknowledged write is lost while stores and ferryd are killed, paused and restarted",
          "[chaos][data-loss]") {
  const bool long_mode = env_flag("FERRY_CHAOS_LONG");
  const unsigned seconds = env_seconds("FERRY_CHAOS_SECONDS", long_mode ? 600 : sanitized ? 25 : 45);
  const std::uint64_t seed = env_seconds("FERRY_CHAOS_SEED", 20240610);
  workload_config cfg;
  cfg.seed = seed;
  cfg.deadline_ms = sanitized ? 4000 : 2000;
  INFO("seed " << seed << ", " << seconds << " s of chaos");

  durable_cluster c(3, 3, 2);
  std::atomic<bool> stop{false};
  std::vector<worker_result> results(cfg.workers);
  std::vector<std::thread> workers;
  const auto started = clock::now();
  for (unsigned w = 0; w < cfg.workers; ++w)
    workers.emplace_back([&, w] { results[w] = run_worker(c.socket(), cfg, w, stop); });
  const auto chaos = run_chaos(c, seed, started + std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : workers) t.join();
  const auto run_time = std::chrono::duration_cast<std::chrono::seconds>(clock::now() - started);

  // Every fault healed (whatever state a failed driver left), then the verdict.
  c.heal();
  REQUIRE(c.serves_from_every_store(30s));

  worker_result total;
  total.failures_by_status.assign(128, 0);
  std::uint64_t keys = 0, lost = 0, corrupt = 0, stale_via_ferryd = 0, ferryd_read_failures = 0, diverged = 0;
  std::uint64_t replica_read_failures = 0;
  std::vector<std::string> examples;
  daemon_test::client reader(c.socket());
  for (unsigned w = 0; w < cfg.workers; ++w) {
    const auto& r = results[w];
    CHECK(r.error.empty());
    total.ops += r.ops;
    total.writes_acked += r.writes_acked;
    total.deletes_acked += r.deletes_acked;
    total.writes_unacked += r.writes_unacked;
    total.failed_calls += r.failed_calls;
    total.reads += r.reads;
    total.stale_reads += r.stale_reads;
    total.corrupt_reads += r.corrupt_reads;
    for (std::size_t s = 0; s < r.failures_by_status.size(); ++s) total.failures_by_status[s] += r.failures_by_status[s];
    for (unsigned slot = 0; slot < r.keys.size(); ++slot) {
      const auto key = key_name(w, slot);
      const auto& hist = r.keys[slot];
      ++keys;
      // The cluster's state: the newest version any replica holds (last-writer-wins).
      std::optional<replica_state> newest;
      std::set<std::pair<std::uint64_t, std::uint64_t>> versions;
      for (const auto& s : c.stores()) {
        auto st = read_replica(s.port, key);
        if (!st) {
          ++replica_read_failures;
          continue;
        }
        versions.insert({st->ver.hlc, st->ver.writer});
        if (!newest || newest->ver < st->ver) newest = st;
      }
      if (versions.size() > 1) ++diverged;
      if (!newest) continue;
      switch (judge(hist, newest->seen)) {
        case verdict::ok: break;
        case verdict::lost:
          ++lost;
          if (examples.size() < 8)
            examples.push_back(key + " lost on the stores: acked seq " + std::to_string(hist.acked->seq) +
                               (hist.acked->is_delete ? " (delete)" : " (put)") + ", newest replica shows " +
                               (newest->seen.found ? "seq " + std::to_string(newest->seen.seq) : "absent"));
          break;
        case verdict::corrupt: ++corrupt; break;
      }
      // As an application sees it.
      auto [rc, value] = reader.get(key, nullptr, 5000);
      if (rc != FERRY_OK && rc != FERRY_NOT_FOUND) {
        ++ferryd_read_failures;
        continue;
      }
      observed via;
      if (rc == FERRY_OK) via = parse_value(key, value);
      switch (judge(hist, via)) {
        case verdict::ok: break;
        case verdict::lost:
          ++stale_via_ferryd;
          if (examples.size() < 8)
            examples.push_back(key + " stale through ferryd: acked seq " + std::to_string(hist.acked->seq) +
                               (hist.acked->is_delete ? " (delete)" : " (put)") + ", ferryd returned " +
                               (via.found ? "seq " + std::to_string(via.seq) : "NOT_FOUND"));
          break;
        case verdict::corrupt: ++corrupt; break;
      }
    }
  }

  summary s("data_loss");
  s.add("mode", long_mode ? "long" : sanitized ? "quick (sanitizer build)" : "quick");
  s.add("seed", seed);
  s.add("cluster", "3 durable ferry-stores (fsync), ferryd R=3 W=2");
  s.add("load", std::to_string(cfg.workers) + " client threads x " + std::to_string(cfg.keys_per_worker) +
                    " keys each, 65% put / 20% delete / 15% get, deadline " + std::to_string(cfg.deadline_ms) + " ms");
  s.add("chaos seconds (wall)", static_cast<std::uint64_t>(run_time.count()));
  s.add("operations (calls, retries included)", total.ops);
  s.add("acknowledged puts", total.writes_acked);
  s.add("acknowledged deletes", total.deletes_acked);
  s.add("unacknowledged writes (every attempt failed)", total.writes_unacked);
  s.add("failed calls", total.failed_calls);
  s.add("failed calls by status", status_breakdown(total.failures_by_status));
  s.add("faults: store SIGKILL + restart", chaos.faults.store_kills);
  s.add("faults: store SIGSTOP + SIGCONT", chaos.faults.store_pauses);
  s.add("faults: ferryd SIGKILL + restart", chaos.faults.ferryd_kills);
  s.add("longest heal (ms, fault removed -> writes land on all 3 stores)",
        static_cast<std::uint64_t>(chaos.longest_heal.count()));
  s.add("keys checked", keys);
  s.add("losses on the stores (newest replica older than last ack)", lost);
  s.add("stale reads through ferryd after healing", stale_via_ferryd);
  s.add("corrupt values", corrupt);
  s.add("reads through ferryd after healing that failed", ferryd_read_failures);
  s.add("keys whose replicas disagree after healing", diverged);
  s.add("stale reads through ferryd during chaos (of " + std::to_string(total.reads) + ")", total.stale_reads);
  s.add("driver error", chaos.error.empty() ? "none" : chaos.error);
  s.add("ferryd sanitizer/crash reports", static_cast<std::uint64_t>(c.ferryd_error_reports().size()));
  for (std::size_t i = 0; i < examples.size(); ++i) s.add("example " + std::to_string(i + 1), examples[i]);
  REQUIRE(s.write());
  WARN("data-loss checker:\n" << s.text());

  const auto ferryd_errors = c.ferryd_error_reports();
  std::string ferryd_error_text;
  for (const auto& line : ferryd_errors) ferryd_error_text += line + "\n";
  INFO(ferryd_error_text);
  CHECK(ferryd_errors.empty());
  CHECK(chaos.error.empty());
  CHECK(chaos.faults.total() >= (seconds >= 20 ? 3u : 1u));
  CHECK(total.writes_acked + total.deletes_acked >= 100);
  CHECK(replica_read_failures == 0);
  CHECK(ferryd_read_failures == 0);
  CHECK(total.corrupt_reads == 0);
  CHECK(corrupt == 0);
  CHECK(lost == 0);
  // Reads compare the versions of R - W + 1 replicas (ROUTER.md "Reads"): a replica that missed writes
  // while down never answers for the newer ones once the cluster has healed (stale_read_test.cpp).
  CHECK(stale_via_ferryd == 0);
}

}  // namespace ferry::chaos
