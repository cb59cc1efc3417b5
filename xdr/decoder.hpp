// XDR (RFC 4506) decoder over a complete, contiguous buffer. Variable-length data comes back as views into
// that buffer, so decoding copies no payload and allocates nothing; every length is checked before use.
#pragma once

#include <cstdint>
#include <string_view>

#include "xdr/bytes.hpp"
#include "xdr/result.hpp"

namespace ferry::xdr {

class decoder {
 public:
  explicit decoder(bytes_view buffer) noexcept : buf_(buffer) {}

  result<std::uint32_t> u32() noexcept;
  result<std::int32_t> i32() noexcept;
  result<std::uint64_t> u64() noexcept;  // unsigned hyper
  result<std::int64_t> i64() noexcept;   // hyper
  result<bool> boolean() noexcept;
  result<float> f32() noexcept;
  result<double> f64() noexcept;

  /// opaque x[n]: exactly n bytes plus zero padding.
  result<bytes_view> fixed_opaque(std::size_t n) noexcept;
  /// opaque x<max>: a length (checked against max first), the bytes, then zero padding.
  result<bytes_view> opaque(std::uint32_t max) noexcept;
  /// string x<max>: like opaque; the bytes are not interpreted.
  result<std::string_view> string(std::uint32_t max) noexcept;
  /// The element count of a variable-length array, checked against max and against the bytes left
  /// (each element takes at least min_element_size bytes), so a caller may reserve() it safely.
  result<std::uint32_t> array_length(std::uint32_t max, std::size_t min_element_size = 4) noexcept;

  std::size_t offset() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return buf_.size() - pos_; }
  /// The undecoded tail (e.g. procedure arguments after an RPC call header). Consumes it.
  bytes_view take_rest() noexcept;
  /// Succeeds only when every byte was consumed.
  result<void> finish() const noexcept;

  codec_error fail(errc code) const noexcept { return codec_error{code, pos_}; }

 private:
  result<bytes_view> take(std::size_t n) noexcept;
  result<bytes_view> padded_bytes(std::size_t n) noexcept;

  bytes_view buf_;
  std::size_t pos_ = 0;
};

}  // namespace ferry::xdr
