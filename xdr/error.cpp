// Names for codec errors.
#include "xdr/error.hpp"

namespace ferry::xdr {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::truncated: return "truncated";
    case errc::bad_padding: return "bad_padding";
    case errc::length_over_limit: return "length_over_limit";
    case errc::bad_enum: return "bad_enum";
    case errc::bad_bool: return "bad_bool";
    case errc::trailing_bytes: return "trailing_bytes";
    case errc::record_too_large: return "record_too_large";
    case errc::too_many_fragments: return "too_many_fragments";
    case errc::bad_rpc_version: return "bad_rpc_version";
    case errc::bad_message_type: return "bad_message_type";
    case errc::unexpected_message_type: return "unexpected_message_type";
  }
  return "unknown_error";
}

std::string describe(const codec_error& e) {
  std::string out{to_string(e.code)};
  out += " at byte ";
  out += std::to_string(e.offset);
  return out;
}

}  // namespace ferry::xdr
