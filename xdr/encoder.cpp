// XDR encoder: owned buffer for small items, referenced segments for large opaques.
#include "xdr/encoder.hpp"

#include <bit>
#include <cassert>
#include <cstring>

namespace ferry::xdr {

encoder::encoder(std::size_t gather_threshold) : gather_threshold_(gather_threshold) {
  owned_.reserve(256);
}

byte* encoder::grow(std::size_t n) {
  if (segments_.empty() || segments_.back().external != nullptr)
    segments_.push_back(segment{nullptr, owned_.size(), 0});
  auto at = owned_.size();
  owned_.resize(at + n);
  segments_.back().length += n;
  size_ += n;
  return owned_.data() + at;
}

void encoder::put_be32(byte* p, std::uint32_t v) noexcept {
  p[0] = static_cast<byte>(v >> 24);
  p[1] = static_cast<byte>(v >> 16);
  p[2] = static_cast<byte>(v >> 8);
  p[3] = static_cast<byte>(v);
}

void encoder::u32(std::uint32_t v) { put_be32(grow(4), v); }

void encoder::u64(std::uint64_t v) {
  auto* p = grow(8);
  put_be32(p, static_cast<std::uint32_t>(v >> 32));
  put_be32(p + 4, static_cast<std::uint32_t>(v));
}

void encoder::f32(float v) { u32(std::bit_cast<std::uint32_t>(v)); }
void encoder::f64(double v) { u64(std::bit_cast<std::uint64_t>(v)); }

void encoder::fixed_opaque(bytes_view data) {
  auto n = padded(data.size());
  auto* p = grow(n);
  if (!data.empty()) std::memcpy(p, data.data(), data.size());
  std::memset(p + data.size(), 0, n - data.size());
  copied_ += data.size();
}

void encoder::opaque(bytes_view data) {
  assert(data.size() <= unbounded);
  u32(static_cast<std::uint32_t>(data.size()));
  if (data.empty() || data.size() < gather_threshold_) {  // an empty view may have a null data()
    fixed_opaque(data);
    return;
  }
  segments_.push_back(segment{data.data(), 0, data.size()});
  size_ += data.size();
  auto pad = padded(data.size()) - data.size();
  if (pad != 0) std::memset(grow(pad), 0, pad);
}

void encoder::append(const encoder& other) {
  for (const auto& seg : other.segments_) {
    if (seg.external != nullptr) {
      segments_.push_back(seg);
      size_ += seg.length;
    } else if (seg.length != 0) {
      std::memcpy(grow(seg.length), other.owned_.data() + seg.offset, seg.length);
    }
  }
  copied_ += other.copied_;
}

void encoder::begin_record() {
  auto* p = grow(4);
  record_start_ = static_cast<std::size_t>(p - owned_.data());
  record_size_at_start_ = size_;
}

void encoder::end_record() {
  auto length = size_ - record_size_at_start_;
  assert(length < 0x80000000u);
  put_be32(owned_.data() + record_start_, 0x80000000u | static_cast<std::uint32_t>(length));
}

std::vector<bytes_view> encoder::views() const {
  std::vector<bytes_view> out;
  out.reserve(segments_.size());
  for (const auto& s : segments_)
    out.emplace_back(s.external ? s.external : owned_.data() + s.offset, s.length);
  return out;
}

void encoder::append_to(std::vector<byte>& out) const {
  out.reserve(out.size() + size_);
  for (auto v : views()) out.insert(out.end(), v.begin(), v.end());
}

std::vector<byte> encoder::flatten() const {
  std::vector<byte> out;
  append_to(out);
  return out;
}

void encoder::clear() {
  owned_.clear();
  segments_.clear();
  size_ = copied_ = record_start_ = record_size_at_start_ = 0;
}

}  // namespace ferry::xdr
