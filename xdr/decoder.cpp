// XDR decoder: big-endian integers, padded opaques, bounded lengths.
#include "xdr/decoder.hpp"

#include <bit>
#include <cstring>

namespace ferry::xdr {

result<bytes_view> decoder::take(std::size_t n) noexcept {
  if (n > remaining()) return fail(errc::truncated);
  auto out = buf_.subspan(pos_, n);
  pos_ += n;
  return out;
}

result<std::uint32_t> decoder::u32() noexcept {
  auto b = take(4);
  if (!b) return b.error();
  return load_u32(b->data());
}

result<std::int32_t> decoder::i32() noexcept {
  auto v = u32();
  if (!v) return v.error();
  return static_cast<std::int32_t>(*v);
}

result<std::uint64_t> decoder::u64() noexcept {
  auto hi = u32();
  if (!hi) return hi.error();
  auto lo = u32();
  if (!lo) return lo.error();
  return (std::uint64_t{*hi} << 32) | *lo;
}

result<std::int64_t> decoder::i64() noexcept {
  auto v = u64();
  if (!v) return v.error();
  return static_cast<std::int64_t>(*v);
}

result<bool> decoder::boolean() noexcept {
  auto at = pos_;
  auto v = u32();
  if (!v) return v.error();
  if (*v > 1) return codec_error{errc::bad_bool, at};
  return *v == 1;
}

result<float> decoder::f32() noexcept {
  auto v = u32();
  if (!v) return v.error();
  return std::bit_cast<float>(*v);
}

result<double> decoder::f64() noexcept {
  auto v = u64();
  if (!v) return v.error();
  return std::bit_cast<double>(*v);
}

result<bytes_view> decoder::padded_bytes(std::size_t n) noexcept {
  auto data = take(n);
  if (!data) return data.error();
  auto pad_at = pos_;
  auto pad = take(padded(n) - n);
  if (!pad) return pad.error();
  for (auto b : *pad)
    if (b != 0) return codec_error{errc::bad_padding, pad_at};
  return data;
}

result<bytes_view> decoder::fixed_opaque(std::size_t n) noexcept { return padded_bytes(n); }

result<bytes_view> decoder::opaque(std::uint32_t max) noexcept {
  auto at = pos_;
  auto len = u32();
  if (!len) return len.error();
  if (*len > max) return codec_error{errc::length_over_limit, at};
  return padded_bytes(*len);
}

result<std::string_view> decoder::string(std::uint32_t max) noexcept {
  auto b = opaque(max);
  if (!b) return b.error();
  return as_chars(*b);
}

result<std::uint32_t> decoder::array_length(std::uint32_t max, std::size_t min_element_size) noexcept {
  auto at = pos_;
  auto n = u32();
  if (!n) return n.error();
  if (*n > max) return codec_error{errc::length_over_limit, at};
  if (min_element_size != 0 && *n > remaining() / min_element_size) return fail(errc::truncated);
  return n;
}

bytes_view decoder::take_rest() noexcept {
  auto out = buf_.subspan(pos_);
  pos_ = buf_.size();
  return out;
}

result<void> decoder::finish() const noexcept {
  if (remaining() != 0) return fail(errc::trailing_bytes);
  return {};
}

}  // namespace ferry::xdr
