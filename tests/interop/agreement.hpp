// The byte-for-byte check behind every table in the interop suite: ferry and rpcgen encode one value to
// identical bytes, and each side decodes the other's bytes back to the same fields.
#pragma once

#include <rpc/rpc.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wire_support.hpp"
#include "xdr/codec.hpp"

namespace ferry::interop {

/// An rpcgen-generated xdr_* routine for the C type C, called directly (no xdrproc_t casts).
template <class C>
using xdr_routine = bool_t (*)(XDR*, C*);

/// Keeps alive what a C mirror of a ferry value points to: NUL-terminated strings and arrays.
class c_arena {
 public:
  char* c_string(std::string_view s) {
    auto* p = array<char>(s.size() + 1);
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return p;
  }
  template <class T>
  T* array(std::size_t n) {
    auto owner = std::make_shared<T[]>(n == 0 ? 1 : n);  // value-initialised: C structs start zeroed
    T* raw = owner.get();
    kept_.push_back(std::move(owner));
    return raw;
  }

 private:
  std::vector<std::shared_ptr<void>> kept_;
};

/// rpcgen's char* views of bytes ferry owns. rpcgen's encoder only reads through them.
inline char* c_bytes(bytes_view b) { return const_cast<char*>(reinterpret_cast<const char*>(b.data())); }

/// Collects the fields where an rpcgen C value and a ferry value differ, with dotted paths.
class field_diff {
 public:
  class scope {
   public:
    scope(field_diff& d, std::string_view name) : d_(d), saved_(d.prefix_.size()) {
      d.prefix_.append(name).append(".");
    }
    ~scope() { d_.prefix_.resize(saved_); }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    field_diff& d_;
    std::size_t saved_;
  };
  scope within(std::string_view name) { return scope{*this, name}; }

  void number(std::string_view field, std::uint64_t rpcgen, std::uint64_t ferry) {
    if (rpcgen != ferry)
      note(field, "rpcgen " + std::to_string(rpcgen) + ", ferry " + std::to_string(ferry));
  }
  void bytes(std::string_view field, const char* rpcgen, std::size_t rpcgen_len, bytes_view ferry) {
    bytes_view theirs{reinterpret_cast<const byte*>(rpcgen), rpcgen_len};
    if (auto d = byte_difference(ferry, theirs); !d.empty()) note(field, d);
  }
  void text(std::string_view field, const char* rpcgen, std::string_view ferry) {
    if (rpcgen == nullptr) return note(field, "rpcgen string is NULL");
    bytes(field, rpcgen, std::strlen(rpcgen), xdr::as_bytes(ferry));
  }

  /// "" when nothing differed.
  const std::string& report() const noexcept { return report_; }

 private:
  void note(std::string_view field, const std::string& what) {
    report_.append(prefix_).append(field).append(": ").append(what).append("\n");
  }
  std::string prefix_;
  std::string report_;
};

/// Frees an rpcgen result the way xdr_free would, without an xdrproc_t cast.
template <class C>
void free_result(xdr_routine<C> routine, C& value) {
  XDR xdrs{};
  xdrs.x_op = XDR_FREE;
  routine(&xdrs, &value);
}

/// The bytes rpcgen's routine writes for `value`, or nullopt when it refuses (or needs > capacity).
template <class C>
std::optional<std::vector<byte>> rpcgen_encode(xdr_routine<C> routine, C& value, std::size_t capacity) {
  std::vector<byte> buffer(capacity);
  XDR xdrs;
  xdrmem_create(&xdrs, reinterpret_cast<char*>(buffer.data()), static_cast<u_int>(buffer.size()), XDR_ENCODE);
  bool ok = routine(&xdrs, &value) != 0;
  auto used = xdr_getpos(&xdrs);
  xdr_destroy(&xdrs);
  if (!ok) return std::nullopt;
  buffer.resize(used);
  return buffer;
}

/// A C value decoded by rpcgen's routine from `wire`; frees what the routine allocated.
template <class C>
class rpcgen_decoded {
 public:
  rpcgen_decoded(xdr_routine<C> routine, bytes_view wire) : routine_(routine) {
    XDR xdrs;
    xdrmem_create(&xdrs, reinterpret_cast<char*>(const_cast<byte*>(wire.data())), static_cast<u_int>(wire.size()),
                  XDR_DECODE);
    ok_ = routine(&xdrs, &value_) != 0;
    consumed_ = xdr_getpos(&xdrs);
    xdr_destroy(&xdrs);
  }
  ~rpcgen_decoded() {
    // What xdr_free does, without casting the routine to xdrproc_t.
    XDR xdrs{};
    xdrs.x_op = XDR_FREE;
    routine_(&xdrs, &value_);
  }
  rpcgen_decoded(const rpcgen_decoded&) = delete;
  rpcgen_decoded& operator=(const rpcgen_decoded&) = delete;

  bool ok() const noexcept { return ok_; }
  std::size_t consumed() const noexcept { return consumed_; }
  const C& value() const noexcept { return value_; }

 private:
  xdr_routine<C> routine_;
  C value_{};
  bool ok_ = false;
  std::size_t consumed_ = 0;
};

/// ferry's encoding of a value, flattened.
template <class F>
std::vector<byte> ferry_encode(const F& value) {
  xdr::encoder out;
  auto encoded = xdr::encode(out, value);
  if (!encoded) FAIL("ferry refused to encode: " << xdr::describe(encoded.error()));
  return out.flatten();
}

/// The whole agreement check for one value. to_c(value, arena) and compare(diff, c, value) are the
/// per-type mirrors, found by argument-dependent lookup in this namespace.
template <class F, class C>
void check_codecs_agree(const F& value, xdr_routine<C> routine) {
  auto ours = ferry_encode(value);

  c_arena arena;
  C c = to_c(value, arena);
  auto theirs = rpcgen_encode(routine, c, ours.size() + 1024);
  if (!theirs) FAIL("rpcgen's routine refused the value (or needs over 1 KiB more than ferry's " << ours.size()
                                                                                                 << " bytes)");
  CHECK(byte_difference(ours, *theirs) == "");

  auto from_theirs = xdr::decode<F>(*theirs);
  if (!from_theirs) FAIL("ferry could not decode rpcgen's bytes: " << xdr::describe(from_theirs.error()));
  field_diff ferry_side;
  compare(ferry_side, c, *from_theirs);
  CHECK(ferry_side.report() == "");

  rpcgen_decoded<C> from_ours{routine, ours};
  REQUIRE(from_ours.ok());
  CHECK(from_ours.consumed() == ours.size());
  field_diff rpcgen_side;
  compare(rpcgen_side, from_ours.value(), value);
  CHECK(rpcgen_side.report() == "");
}

/// A row of a codec table.
template <class T>
struct named {
  std::string name;
  T value;
};

/// Runs check_codecs_agree on every row, each in its own section so one failure hides no other.
template <class F, class C>
void check_table(const std::vector<named<F>>& rows, xdr_routine<C> routine) {
  REQUIRE(!rows.empty());
  for (const auto& row : rows) {
    DYNAMIC_SECTION(row.name) { check_codecs_agree(row.value, routine); }
  }
}

}  // namespace ferry::interop
