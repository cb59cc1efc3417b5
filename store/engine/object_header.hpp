// The header every object file starts with: who the bytes belong to (the key, checked on every read so a
// hash collision can never hand out another key's data), their version, size, mtime and tombstone flag.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "xdr/bytes.hpp"
#include "xdr/protocol/common.hpp"

namespace ferry::store::detail {

// Layout, all integers big-endian (as on the wire), data follows the key directly:
//   0 magic "FERRYOB1"   8 format u32 = 1   12 flags u32 (bit 0: tombstone)
//  16 hlc u64  24 writer u64  32 size u64  40 mtime_ns u64  48 key_len u32  52 reserved u32 = 0
//  56 check u64 = first 8 bytes of SHA-256 over bytes [0,56) and the key   64 key   64+key_len data
inline constexpr std::size_t header_fixed_size = 64;
inline constexpr std::size_t header_max_size = header_fixed_size + proto::max_key;

constexpr std::size_t header_size(std::size_t key_size) noexcept { return header_fixed_size + key_size; }

struct object_header {
  std::string key;
  proto::object_info info;
  bool tombstone = false;
  friend bool operator==(const object_header&, const object_header&) = default;
};

std::vector<xdr::byte> encode_header(const object_header& header);

struct decoded_header {
  std::optional<object_header> header;  // set when the bytes hold a valid header
  std::string problem;                  // otherwise why not, e.g. "bad magic"
};

/// Decodes the header at the start of `bytes` (which may run on into the data, or stop short of it).
decoded_header decode_header(xdr::bytes_view bytes);

}  // namespace ferry::store::detail
