// Rendezvous hashing over xxHash's XXH3: the key is hashed once, then each server id once with that
// hash as seed, so ranking N servers costs one pass over the key and N short hashes.
#include "actors/router/placement.hpp"

#include <xxhash.h>

#include <algorithm>
#include <utility>

namespace ferry::router {

namespace {

struct weighted {
  std::uint64_t weight;
  const server_id* id;
};

bool heavier(const weighted& a, const weighted& b) {
  if (a.weight != b.weight) return a.weight > b.weight;
  return *a.id < *b.id;
}

std::uint64_t key_seed(xdr::bytes_view key) { return XXH3_64bits(key.data(), key.size()); }

std::uint64_t weight_with_seed(std::uint64_t seed, const server_id& server) {
  return XXH3_64bits_withSeed(server.data(), server.size(), seed);
}

std::vector<server_id> top(xdr::bytes_view key, std::span<const server_id> servers, std::size_t r) {
  const std::uint64_t seed = key_seed(key);
  std::vector<weighted> all;
  all.reserve(servers.size());
  for (const auto& s : servers) all.push_back({weight_with_seed(seed, s), &s});
  r = std::min(r, all.size());
  const auto cut = all.begin() + static_cast<std::ptrdiff_t>(r);
  std::partial_sort(all.begin(), cut, all.end(), heavier);
  std::vector<server_id> out;
  out.reserve(r);
  for (auto it = all.begin(); it != cut; ++it) out.push_back(*it->id);
  return out;
}

}  // namespace

std::uint64_t placement_weight(xdr::bytes_view key, const server_id& server) {
  return weight_with_seed(key_seed(key), server);
}

std::vector<server_id> rank_servers(xdr::bytes_view key, std::span<const server_id> servers) {
  return top(key, servers, servers.size());
}

std::vector<server_id> replicas(xdr::bytes_view key, std::span<const server_id> servers, std::size_t r) {
  return top(key, servers, r);
}

}  // namespace ferry::router
