// One description of a type serves both directions: a type is XDR-codable when an `xdr_apply(p, x)`
// found by ADL visits its fields in wire order with a processor p. writer encodes, reader decodes (with
// views into the input, so payloads are not copied). This mirrors rpcgen's xdr_* procedures, typed.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "xdr/decoder.hpp"
#include "xdr/encoder.hpp"

namespace ferry::xdr {

template <class T>
concept enum_type = std::is_enum_v<T>;

/// Processor that encodes. Its calls return false only when a value breaks its declared bound.
class writer {
 public:
  explicit writer(encoder& out) noexcept : out_(out) {}

  bool operator()(const std::uint32_t& v) { out_.u32(v); return true; }
  bool operator()(const std::int32_t& v) { out_.i32(v); return true; }
  bool operator()(const std::uint64_t& v) { out_.u64(v); return true; }
  bool operator()(const std::int64_t& v) { out_.i64(v); return true; }
  bool operator()(const bool& v) { out_.boolean(v); return true; }
  template <enum_type E>
  bool operator()(const E& v) { out_.u32(static_cast<std::uint32_t>(v)); return true; }
  template <std::size_t N>
  bool operator()(const std::array<byte, N>& v) { out_.fixed_opaque(v); return true; }
  bool operator()(const bytes_view& v, std::uint32_t max) {
    if (v.size() > max) return over_limit();
    out_.opaque(v);
    return true;
  }
  bool operator()(const std::string_view& v, std::uint32_t max) { return (*this)(as_bytes(v), max); }
  template <class T>
  bool operator()(const std::vector<T>& v, std::uint32_t max) {
    if (v.size() > max) return over_limit();
    out_.u32(static_cast<std::uint32_t>(v.size()));
    for (const auto& item : v)
      if (!(*this)(item)) return false;
    return true;
  }
  template <class T>
    requires requires(writer& w, T& x) { { xdr_apply(w, x) } -> std::same_as<bool>; }
  bool operator()(const T& v) {
    // xdr_apply takes its argument by non-const reference so one function serves both directions;
    // the writer only reads it.
    return xdr_apply(*this, const_cast<T&>(v));
  }

  const std::optional<codec_error>& failure() const noexcept { return failure_; }

 private:
  bool over_limit() {
    failure_ = codec_error{errc::length_over_limit, out_.size()};
    return false;
  }
  encoder& out_;
  std::optional<codec_error> failure_;
};

/// Processor that decodes. The first error is kept; every later call fails.
class reader {
 public:
  explicit reader(decoder& in) noexcept : in_(in) {}

  bool operator()(std::uint32_t& v) { return take(in_.u32(), v); }
  bool operator()(std::int32_t& v) { return take(in_.i32(), v); }
  bool operator()(std::uint64_t& v) { return take(in_.u64(), v); }
  bool operator()(std::int64_t& v) { return take(in_.i64(), v); }
  bool operator()(bool& v) { return take(in_.boolean(), v); }
  template <enum_type E>
  bool operator()(E& v) {
    auto at = in_.offset();
    std::uint32_t raw = 0;
    if (!(*this)(raw)) return false;
    v = static_cast<E>(raw);
    if (!xdr_enum_valid(v)) return fail(codec_error{errc::bad_enum, at});
    return true;
  }
  template <std::size_t N>
  bool operator()(std::array<byte, N>& v) {
    bytes_view b;
    if (!take(in_.fixed_opaque(N), b)) return false;
    std::copy(b.begin(), b.end(), v.begin());
    return true;
  }
  bool operator()(bytes_view& v, std::uint32_t max) { return take(in_.opaque(max), v); }
  bool operator()(std::string_view& v, std::uint32_t max) { return take(in_.string(max), v); }
  template <class T>
  bool operator()(std::vector<T>& v, std::uint32_t max) {
    std::uint32_t n = 0;
    if (!take(in_.array_length(max), n)) return false;
    v.clear();
    v.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i)
      if (!(*this)(v.emplace_back())) return false;
    return true;
  }
  template <class T>
    requires requires(reader& r, T& x) { { xdr_apply(r, x) } -> std::same_as<bool>; }
  bool operator()(T& v) {
    return xdr_apply(*this, v);
  }

  const std::optional<codec_error>& failure() const noexcept { return failure_; }

 private:
  template <class T, class U>
  bool take(result<T> r, U& out) {
    if (!r) return fail(r.error());
    out = std::move(*r);
    return true;
  }
  bool fail(codec_error e) {
    if (!failure_) failure_ = e;
    return false;
  }
  decoder& in_;
  std::optional<codec_error> failure_;
};

/// Appends the XDR encoding of v to out; fails when a value breaks its declared bound.
template <class T>
result<void> encode(encoder& out, const T& v) {
  writer w{out};
  if (!w(v)) return *w.failure();
  return {};
}

/// Decodes a T that must take exactly all of `in`. Views in the result point into `in`.
template <class T>
result<T> decode(bytes_view in) {
  decoder d{in};
  reader r{d};
  T v{};
  if (!r(v)) return *r.failure();
  if (auto done = d.finish(); !done) return done.error();
  return v;
}

}  // namespace ferry::xdr
