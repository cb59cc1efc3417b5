// Where a key lives: rendezvous (highest-random-weight) hashing of the key against each data server's id.
// Pure and stable across processes and machines, so every ferryd sends a key to the same replicas.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "actors/router/vocabulary.hpp"
#include "xdr/bytes.hpp"

namespace ferry::router {

/// The weight of `server` for `key`: XXH3-64 of the server id, seeded with XXH3-64 of the key. XXH3's
/// output is frozen since xxHash 0.8.0, so ferryd instances of different builds and hosts agree; changing
/// this function moves nearly every key and must be treated as a data migration.
std::uint64_t placement_weight(xdr::bytes_view key, const server_id& server);

/// Every server, highest weight first (ties, astronomically rare, by id so the order is total).
/// Servers are expected to be distinct; adding one moves only the keys it now wins, removing one moves
/// only the keys it held, and the relative order of the others never changes.
std::vector<server_id> rank_servers(xdr::bytes_view key, std::span<const server_id> servers);

/// The first `r` servers of rank_servers (all of them when r exceeds the count): the key's replicas,
/// primary first.
std::vector<server_id> replicas(xdr::bytes_view key, std::span<const server_id> servers, std::size_t r);

}  // namespace ferry::router
