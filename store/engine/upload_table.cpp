// Upload ids start at a random point so an id from before a restart (its upload removed by recovery)
// meets NO_UPLOAD instead of somebody else's new upload.
#include "store/engine/upload_table.hpp"

#include <random>

namespace ferry::store::detail {
namespace {

std::uint64_t random_start() {
  std::random_device device;
  const auto high = static_cast<std::uint64_t>(device()) << 32;
  return (high | device()) >> 1;  // leaves 2^63 ids before wrapping
}

}  // namespace

upload_table::upload_table(std::size_t capacity) : capacity_(capacity), next_id_(random_start()) {}

std::optional<std::uint64_t> upload_table::reserve() {
  std::lock_guard lock(mutex_);
  if (open_.size() >= capacity_) return std::nullopt;
  if (next_id_ == 0) ++next_id_;  // 0 is never an id: clients may use it for "none"
  const auto id = next_id_++;
  open_.emplace(id, nullptr);
  return id;
}

void upload_table::attach(std::uint64_t id, std::shared_ptr<upload_state> state) {
  std::lock_guard lock(mutex_);
  open_[id] = std::move(state);
}

void upload_table::release(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  open_.erase(id);
}

std::shared_ptr<upload_state> upload_table::find(std::uint64_t id) const {
  std::lock_guard lock(mutex_);
  const auto it = open_.find(id);
  return it == open_.end() ? nullptr : it->second;
}

std::shared_ptr<upload_state> upload_table::take(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  const auto it = open_.find(id);
  if (it == open_.end() || !it->second) return nullptr;
  auto state = std::move(it->second);
  open_.erase(it);
  return state;
}

std::vector<std::pair<std::uint64_t, std::shared_ptr<upload_state>>> upload_table::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::uint64_t, std::shared_ptr<upload_state>>> all;
  for (const auto& [id, state] : open_) {
    if (state) all.emplace_back(id, state);
  }
  return all;
}

}  // namespace ferry::store::detail
