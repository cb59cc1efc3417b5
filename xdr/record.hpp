// ONC RPC record marking (RFC 5531 §11) on a byte stream. scan_record() is pure: given the bytes buffered
// so far it says "need N more", "a record of K fragments ends at byte C", or a specific error. Limits are
// checked on each header as it is seen, so a 4-byte header claiming 2 GiB is refused before anything grows.
#pragma once

#include <cstdint>
#include <vector>

#include "xdr/bytes.hpp"
#include "xdr/result.hpp"

namespace ferry::xdr {

struct record_limits {
  std::uint32_t max_record_size = 64u << 20;  // payload bytes of a whole record (64 MiB)
  std::uint32_t max_fragments = 1024;         // fragments in one record
};

inline constexpr std::uint32_t last_fragment_bit = 0x80000000u;
inline constexpr std::size_t record_mark_size = 4;

struct record_scan {
  enum class status : std::uint8_t { need_more, complete };
  status state = status::need_more;
  /// need_more: the buffer must hold at least this many bytes before scanning again makes progress.
  /// complete: the number of stream bytes the record takes (marks included).
  std::size_t bytes = 0;
  std::size_t payload_size = 0;  // complete: payload bytes (marks excluded)
  std::uint32_t fragments = 0;   // complete: number of fragments

  bool complete() const noexcept { return state == status::complete; }
};

/// Scans the start of `buffered` for one record. Copies nothing.
result<record_scan> scan_record(bytes_view buffered, const record_limits& limits = {}) noexcept;

/// The payload of a complete record found by scan_record. A single-fragment record is returned as a view
/// into `buffered` (no copy); a multi-fragment one is compacted in place (fragment payloads moved over the
/// marks between them) and returned as a view into the same buffer.
bytes_view record_payload(mutable_bytes buffered, const record_scan& scan) noexcept;

/// Encodes a 4-byte record mark.
void put_record_mark(byte* out, std::uint32_t fragment_length, bool last) noexcept;

/// Frames `payload` as a record split into fragments of at most max_fragment bytes (for peers and tests
/// that exercise multi-fragment input; ferry itself sends one fragment per record).
std::vector<byte> frame_record(bytes_view payload, std::uint32_t max_fragment = 0x7FFFFFFFu);

}  // namespace ferry::xdr
