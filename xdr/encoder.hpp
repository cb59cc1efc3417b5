// XDR (RFC 4506) encoder with gather output. Small items are written into an owned buffer; an opaque at
// or above the gather threshold is referenced, not copied, and shows up as its own segment in views(),
// ready for writev or an Asio buffer sequence. Referenced bytes must outlive the encoder's output.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "xdr/bytes.hpp"

namespace ferry::xdr {

class encoder {
 public:
  /// Opaques of at least this many bytes are referenced rather than copied by default.
  static constexpr std::size_t default_gather_threshold = 4096;

  encoder() : encoder(default_gather_threshold) {}
  explicit encoder(std::size_t gather_threshold);

  void u32(std::uint32_t v);
  void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
  void u64(std::uint64_t v);
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void boolean(bool v) { u32(v ? 1 : 0); }
  void f32(float v);
  void f64(double v);

  /// opaque x[n]: the bytes and zero padding (always copied; fixed opaques are small).
  void fixed_opaque(bytes_view data);
  /// opaque x<>: length, bytes, padding. Referenced when data.size() >= the gather threshold.
  void opaque(bytes_view data);
  void string(std::string_view s) { opaque(as_bytes(s)); }

  /// Appends everything `other` has encoded: its owned bytes are copied, its referenced segments stay
  /// referenced (so they must outlive this encoder's output as well).
  void append(const encoder& other);

  /// Starts a record-marked record: reserves the 4-byte record mark, filled by end_record().
  void begin_record();
  /// Ends the record begun last as one fragment with the last-fragment bit set.
  void end_record();

  /// Bytes encoded so far, referenced segments included.
  std::size_t size() const noexcept { return size_; }
  /// Payload bytes copied into the owned buffer by opaque()/string() (for zero-copy accounting).
  std::size_t payload_bytes_copied() const noexcept { return copied_; }

  /// The encoded bytes in order, as few segments as possible. Valid until the next write.
  std::vector<bytes_view> views() const;
  /// One contiguous copy of the encoded bytes (small messages, tests).
  std::vector<byte> flatten() const;
  /// Appends the encoded bytes to out.
  void append_to(std::vector<byte>& out) const;

  void clear();

  /// Makes room for `owned_bytes` copied bytes and `segments` gather segments without reallocating: for
  /// a caller that knows about how much it will encode (a batch like the previous one).
  void reserve(std::size_t owned_bytes, std::size_t segments) {
    owned_.reserve(owned_bytes);
    segments_.reserve(segments);
  }
  /// Bytes held in the owned buffer, and gather segments: what reserve() would want for the same again.
  std::size_t owned_size() const noexcept { return owned_.size(); }
  std::size_t segment_count() const noexcept { return segments_.size(); }

 private:
  struct segment {
    const byte* external;  // null: bytes [offset, offset+length) of owned_
    std::size_t offset;
    std::size_t length;
  };
  byte* grow(std::size_t n);
  void put_be32(byte* p, std::uint32_t v) noexcept;

  std::vector<byte> owned_;
  std::vector<segment> segments_;
  std::size_t gather_threshold_;
  std::size_t size_ = 0;
  std::size_t copied_ = 0;
  std::size_t record_start_ = 0;  // offset into owned_ of the reserved record mark
  std::size_t record_size_at_start_ = 0;
};

}  // namespace ferry::xdr
