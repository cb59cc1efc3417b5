// actors/metering/meter_registry.cpp: enrolment, restart counts and snapshots.
// The lock is taken per enrolment and per snapshot, never per message.
#include "actors/metering/meter_registry.hpp"

#include <algorithm>
#include <ctime>
#include <sys/resource.h>

namespace ferry::metering {

std::uint64_t process_cpu_ns() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto ns = [](const timeval& t) {
    return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000u
           + static_cast<std::uint64_t>(t.tv_usec) * 1'000u;
  };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

std::uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u
         + static_cast<std::uint64_t>(ts.tv_nsec);
}

meter_registry::meter_registry(registry_options opts) : opts_(opts) {
  if (opts_.cpu_sample_period == 0)
    opts_.cpu_sample_period = 1;
}

std::shared_ptr<actor_meters> meter_registry::enroll(std::string name, std::uint64_t id) {
  auto m = std::make_shared<actor_meters>(std::move(name), id);
  std::lock_guard<std::mutex> guard{mtx_};
  // Without a snapshot nobody folds terminated instances: fold them here once 64 have ended, so a daemon
  // nobody scrapes holds the meters of its live actors only, not one entry per session it ever had.
  if (retirements_.load(std::memory_order_relaxed) >= 64)
    prune_retired();
  m->count_retirements_in(&retirements_);
  live_.push_back(m);
  return m;
}

void meter_registry::add_restart(std::string_view name) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = retired_.find(name);
  if (i == retired_.end())
    i = retired_.emplace(std::string{name}, name_totals{}).first;
  ++i->second.restarts;
}

void meter_registry::prune_retired() {
  // A retired flag seen here makes its final counters visible (acquire).
  auto dead = std::stable_partition(live_.begin(), live_.end(), [](const auto& m) { return !m->retired(); });
  for (auto i = dead; i != live_.end(); ++i)
    fold(**i, retired_[(*i)->name()]);
  retirements_.fetch_sub(static_cast<std::size_t>(live_.end() - dead), std::memory_order_relaxed);
  live_.erase(dead, live_.end());
}

void meter_registry::fold(const actor_meters& m, name_totals& into) {
  into.messages += m.messages();
  into.cpu_ns += m.cpu_ns();
  into.wall_ns += m.wall_ns();
  into.mailbox_depth_max = std::max(into.mailbox_depth_max, m.mailbox_depth_max());
  m.for_each_type([&](const type_slot& s) {
    auto i = into.types.find(s.name);
    if (i == into.types.end())
      i = into.types.emplace(s.name, message_type_meters{s.name, 0, 0, 0}).first;
    i->second.messages += s.messages.load(std::memory_order_relaxed);
    i->second.cpu_ns += s.cpu_ns.load(std::memory_order_relaxed);
    i->second.wall_ns += s.wall_ns.load(std::memory_order_relaxed);
  });
}

process_cpu_split meter_registry::cpu_split() {
  process_cpu_split out;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    prune_retired();
    for (const auto& [name, t] : retired_) out.attributed_ns += t.cpu_ns;
    for (const auto& m : live_) out.attributed_ns += m->cpu_ns();
  }
  out.process_ns = process_cpu_ns();
  out.runtime_ns = out.process_ns > out.attributed_ns ? out.process_ns - out.attributed_ns : 0;
  return out;
}

meter_snapshot meter_registry::snapshot() {
  meter_snapshot out;
  std::map<std::string, name_totals, std::less<>> totals;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>, std::less<>> live_counts;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    // Retire first: a retired flag seen here makes its final counters visible (acquire).
    prune_retired();
    totals = retired_;
    for (const auto& m : live_) {
      fold(*m, totals[m->name()]);
      auto& [instances, depth] = live_counts[m->name()];
      ++instances;
      depth += m->mailbox_depth();
      out.instances.push_back({m->id(), m->name(), m->messages(), m->cpu_ns(), m->wall_ns(),
                               m->resumes(), m->mailbox_depth(), m->mailbox_depth_max()});
    }
  }
  std::sort(out.instances.begin(), out.instances.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  for (auto& [name, t] : totals) {
    actor_name_meters row;
    row.actor = name;
    if (auto i = live_counts.find(name); i != live_counts.end()) {
      row.instances = i->second.first;
      row.mailbox_depth = i->second.second;
    }
    row.messages = t.messages;
    row.cpu_ns = t.cpu_ns;
    row.wall_ns = t.wall_ns;
    row.mailbox_depth_max = t.mailbox_depth_max;
    row.restarts = t.restarts;
    for (auto& [type, m] : t.types)
      row.types.push_back(m);
    out.actors.push_back(std::move(row));
    out.cpu.attributed_ns += t.cpu_ns;
  }
  out.cpu.process_ns = process_cpu_ns();
  out.cpu.runtime_ns =
    out.cpu.process_ns > out.cpu.attributed_ns ? out.cpu.process_ns - out.cpu.attributed_ns : 0;
  return out;
}

}  // namespace ferry::metering
