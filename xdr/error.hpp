// Error values of the XDR / ONC RPC codec. Decoders never throw on peer input: they return one of these,
// with the byte offset where decoding stopped, so a log line can say exactly what was wrong and where.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ferry::xdr {

enum class errc : std::uint8_t {
  truncated = 1,         // the buffer ends inside an item (a complete record was too short)
  bad_padding,           // XDR pad bytes after opaque/string data are not zero
  length_over_limit,     // a length prefix exceeds the declared or configured maximum
  bad_enum,              // an enum discriminant outside its declared values
  bad_bool,              // a bool encoded as something other than 0 or 1
  trailing_bytes,        // bytes left over after a complete message
  record_too_large,      // record-marking: record (or fragment) larger than the configured cap
  too_many_fragments,    // record-marking: more fragments than the configured cap
  bad_rpc_version,       // RFC 5531: rpcvers != 2
  bad_message_type,      // RFC 5531: msg_type neither CALL nor REPLY
  unexpected_message_type,  // a CALL where a REPLY was expected, or the reverse
};

/// A short, stable, human-readable name for an error code.
std::string_view to_string(errc code) noexcept;

struct codec_error {
  errc code;
  std::size_t offset = 0;  // byte offset within the decoded buffer where the problem was found

  friend bool operator==(const codec_error&, const codec_error&) = default;
};

/// "length_over_limit at byte 12": what a log line or a test failure shows.
std::string describe(const codec_error& e);

}  // namespace ferry::xdr
