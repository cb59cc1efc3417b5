// Record marking: pure scanning, in-place defragmentation, framing.
#include "xdr/record.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace ferry::xdr {
result<record_scan> scan_record(bytes_view buffered, const record_limits& limits) noexcept {
  std::size_t pos = 0;
  std::size_t payload = 0;
  std::uint32_t fragments = 0;
  for (;;) {
    if (buffered.size() - pos < record_mark_size)
      return record_scan{record_scan::status::need_more, pos + record_mark_size, payload, fragments};
    auto mark = load_u32(buffered.data() + pos);
    auto length = mark & ~last_fragment_bit;
    bool last = (mark & last_fragment_bit) != 0;
    if (++fragments > limits.max_fragments) return codec_error{errc::too_many_fragments, pos};
    if (length > limits.max_record_size - payload) return codec_error{errc::record_too_large, pos};
    payload += length;
    pos += record_mark_size;
    if (buffered.size() - pos < length)
      return record_scan{record_scan::status::need_more, pos + length, payload, fragments};
    pos += length;
    if (last) return record_scan{record_scan::status::complete, pos, payload, fragments};
  }
}

bytes_view record_payload(mutable_bytes buffered, const record_scan& scan) noexcept {
  assert(scan.complete() && scan.bytes <= buffered.size());
  byte* base = buffered.data() + record_mark_size;
  if (scan.fragments == 1) return {base, scan.payload_size};
  // Move each later fragment's payload down over the marks before it.
  std::size_t write = 0;
  std::size_t read = 0;
  while (read < scan.bytes) {
    auto length = load_u32(buffered.data() + read) & ~last_fragment_bit;
    read += record_mark_size;
    if (length != 0) std::memmove(base + write, buffered.data() + read, length);
    write += length;
    read += length;
  }
  return {base, write};
}

record_skipper::record_skipper(record_limits limits, std::size_t head_capacity)
    : limits_(limits), head_capacity_(head_capacity) {
  head_.reserve(head_capacity);
}

result<std::size_t> record_skipper::feed(bytes_view in) noexcept {
  std::size_t pos = 0;
  while (!done_ && pos < in.size()) {
    if (!in_fragment_) {
      const auto n = std::min(record_mark_size - mark_have_, in.size() - pos);
      std::memcpy(mark_ + mark_have_, in.data() + pos, n);
      mark_have_ += n;
      pos += n;
      if (mark_have_ < record_mark_size) break;
      mark_have_ = 0;
      const auto mark = load_u32(mark_);
      const auto length = mark & ~last_fragment_bit;
      last_ = (mark & last_fragment_bit) != 0;
      const auto at = consumed_ + pos - record_mark_size;
      if (++fragments_ > limits_.max_fragments) return codec_error{errc::too_many_fragments, at};
      if (length > limits_.max_record_size - payload_) return codec_error{errc::record_too_large, at};
      fragment_left_ = length;
      in_fragment_ = true;
    }
    const auto n = std::min<std::size_t>(fragment_left_, in.size() - pos);
    const auto keep = std::min(n, head_capacity_ - head_.size());
    head_.insert(head_.end(), in.data() + pos, in.data() + pos + keep);
    payload_ += n;
    fragment_left_ -= static_cast<std::uint32_t>(n);
    pos += n;
    if (fragment_left_ == 0) {
      in_fragment_ = false;
      done_ = last_;
    }
  }
  consumed_ += pos;
  return pos;
}

void put_record_mark(byte* out, std::uint32_t fragment_length, bool last) noexcept {
  auto v = fragment_length | (last ? last_fragment_bit : 0u);
  out[0] = static_cast<byte>(v >> 24);
  out[1] = static_cast<byte>(v >> 16);
  out[2] = static_cast<byte>(v >> 8);
  out[3] = static_cast<byte>(v);
}

std::vector<byte> frame_record(bytes_view payload, std::uint32_t max_fragment) {
  assert(max_fragment > 0 && max_fragment <= 0x7FFFFFFFu);
  std::vector<byte> out;
  std::size_t fragments = payload.empty() ? 1 : (payload.size() + max_fragment - 1) / max_fragment;
  out.reserve(payload.size() + fragments * record_mark_size);
  std::size_t pos = 0;
  do {
    auto n = std::min<std::size_t>(max_fragment, payload.size() - pos);
    byte mark[record_mark_size];
    put_record_mark(mark, static_cast<std::uint32_t>(n), pos + n == payload.size());
    out.insert(out.end(), mark, mark + record_mark_size);
    out.insert(out.end(), payload.begin() + static_cast<std::ptrdiff_t>(pos),
               payload.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
  } while (pos < payload.size());
  return out;
}

}  // namespace ferry::xdr
