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

/// Follows one record through a stream without keeping it (a record shed for lack of memory): fed the
/// record's stream bytes in any pieces, it keeps the first `head_capacity` payload bytes (enough for the
/// RPC call header, so the call can still be answered) and says when the record's last byte went by.
/// Checks the same limits as scan_record, fragment by fragment.
class record_skipper {
 public:
  explicit record_skipper(record_limits limits, std::size_t head_capacity = 1024);

  /// Consumes the record's bytes from the front of `in`: returns how many belonged to it (fewer than
  /// in.size() only once the record ended), or the limit a fragment broke.
  result<std::size_t> feed(bytes_view in) noexcept;

  bool done() const noexcept { return done_; }
  /// The first payload bytes seen (marks excluded), at most head_capacity.
  bytes_view head() const noexcept { return {head_.data(), head_.size()}; }
  /// Payload bytes seen so far (the record's size once done).
  std::size_t payload_size() const noexcept { return payload_; }

 private:
  record_limits limits_;
  std::size_t head_capacity_;
  std::vector<byte> head_;
  byte mark_[record_mark_size] = {};
  std::size_t mark_have_ = 0;         // bytes of the next mark seen
  std::uint32_t fragment_left_ = 0;   // payload bytes of the current fragment still to come
  bool in_fragment_ = false;
  bool last_ = false;
  bool done_ = false;
  std::size_t payload_ = 0;
  std::uint32_t fragments_ = 0;
  std::size_t consumed_ = 0;          // stream bytes so far (error offsets)
};

/// Encodes a 4-byte record mark.
void put_record_mark(byte* out, std::uint32_t fragment_length, bool last) noexcept;

/// Frames `payload` as a record split into fragments of at most max_fragment bytes (for peers and tests
/// that exercise multi-fragment input; ferry itself sends one fragment per record).
std::vector<byte> frame_record(bytes_view payload, std::uint32_t max_fragment = 0x7FFFFFFFu);

}  // namespace ferry::xdr
