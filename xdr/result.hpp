// result<T>: a value or an xdr::codec_error. C++20 has no std::expected and Debian 12 packages no expected
// library, so this is the small subset the codec needs; it is replaced by std::expected with C++23.
#pragma once

#include <cassert>
#include <utility>
#include <type_traits>

#include "xdr/error.hpp"

namespace ferry::xdr {

template <class T>
class [[nodiscard]] result {
  static_assert(std::is_default_constructible_v<T>, "codec results hold default-constructible values");

 public:
  result(T value) : value_(std::move(value)) {}     // NOLINT: implicit by design
  result(codec_error e) : error_(e), ok_(false) {}  // NOLINT: implicit by design

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }

  T& value() & { assert(ok_); return value_; }
  const T& value() const& { assert(ok_); return value_; }
  T&& value() && { assert(ok_); return std::move(value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const codec_error& error() const { assert(!ok_); return error_; }

 private:
  T value_{};
  codec_error error_{};
  bool ok_ = true;
};

/// result<void>: success or an error.
template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(codec_error e) : err_(e), ok_(false) {}  // NOLINT: implicit by design
  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const xdr::codec_error& error() const { assert(!ok_); return err_; }

 private:
  xdr::codec_error err_{};
  bool ok_ = true;
};

}  // namespace ferry::xdr
