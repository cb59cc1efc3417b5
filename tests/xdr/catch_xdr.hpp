// Lets Catch2 print codec errors in failed assertions ("bad_enum at byte 20" rather than "{?}").
#pragma once

#include <catch2/catch.hpp>

#include "xdr/error.hpp"

namespace Catch {
template <>
struct StringMaker<ferry::xdr::codec_error> {
  static std::string convert(const ferry::xdr::codec_error& e) { return ferry::xdr::describe(e); }
};
}  // namespace Catch
