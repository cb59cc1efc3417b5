// The router's upload table: a map by id plus an ordered set of idle deadlines, kept in step.
#include "actors/router/uploads.hpp"

namespace ferry::router {

std::uint64_t mix_upload_id(std::uint64_t salt, std::uint64_t counter) noexcept {
  // SplitMix64's finalizer: a bijection on 64 bits, so distinct counters give distinct ids.
  std::uint64_t z = salt + counter;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

upload_table::upload_table(std::size_t capacity, duration idle_timeout, std::uint64_t salt)
    : capacity_(capacity), idle_timeout_(idle_timeout), salt_(salt) {}

std::uint64_t upload_table::create(upload u, time_point now) {
  std::uint64_t id = 0;
  do {
    id = mix_upload_id(salt_, counter_++);
  } while (id == 0 || entries_.count(id) != 0);  // 0 means "none" on the wire; a repeat needs 2^64 ids
  u.idle_deadline = now + idle_timeout_;
  expiries_.emplace(u.idle_deadline, id);
  entries_.emplace(id, std::move(u));
  return id;
}

upload* upload_table::find(std::uint64_t id) {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

void upload_table::touch(std::uint64_t id, time_point now) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  expiries_.erase({it->second.idle_deadline, id});
  it->second.idle_deadline = now + idle_timeout_;
  expiries_.emplace(it->second.idle_deadline, id);
}

std::optional<upload> upload_table::remove(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  expiries_.erase({it->second.idle_deadline, id});
  auto out = std::move(it->second);
  entries_.erase(it);
  return out;
}

std::optional<time_point> upload_table::next_expiry() const {
  if (expiries_.empty()) return std::nullopt;
  return expiries_.begin()->first;
}

std::vector<std::pair<std::uint64_t, upload>> upload_table::expire(time_point now) {
  std::vector<std::pair<std::uint64_t, upload>> out;
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    const auto id = expiries_.begin()->second;
    if (auto u = remove(id)) out.emplace_back(id, std::move(*u));
  }
  return out;
}

}  // namespace ferry::router
