// Encoding and checking of object file headers; pure, so every corruption case is a table row in a test.
#include "store/engine/object_header.hpp"

#include <cstring>
#include <string_view>

#include "store/engine/key_digest.hpp"

namespace ferry::store::detail {
namespace {

constexpr std::string_view magic = "FERRYOB1";
constexpr std::uint32_t format = 1;
constexpr std::uint32_t tombstone_flag = 1;
constexpr std::size_t check_offset = 56;

void put_be(std::vector<xdr::byte>& out, std::size_t at, std::uint64_t value, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) out[at + i] = static_cast<xdr::byte>(value >> (8 * (width - 1 - i)));
}

std::uint64_t get_be(xdr::bytes_view in, std::size_t at, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i) value = (value << 8) | in[at + i];
  return value;
}

// The check covers the fixed fields and the key, not the data: data can be gigabytes written in chunks,
// and its length is verified against the file size instead.
std::uint64_t header_check(xdr::bytes_view fixed_part, xdr::bytes_view key) {
  std::string covered(xdr::as_chars(fixed_part.first(check_offset)));
  covered.append(xdr::as_chars(key));
  const auto md = sha256(covered);
  return get_be(xdr::bytes_view(md.data(), md.size()), 0, 8);
}

}  // namespace

std::vector<xdr::byte> encode_header(const object_header& header) {
  std::vector<xdr::byte> out(header_size(header.key.size()), 0);
  std::memcpy(out.data(), magic.data(), magic.size());
  put_be(out, 8, format, 4);
  put_be(out, 12, header.tombstone ? tombstone_flag : 0, 4);
  put_be(out, 16, header.info.ver.hlc, 8);
  put_be(out, 24, header.info.ver.writer, 8);
  put_be(out, 32, header.info.size, 8);
  put_be(out, 40, header.info.mtime_ns, 8);
  put_be(out, 48, header.key.size(), 4);
  std::memcpy(out.data() + header_fixed_size, header.key.data(), header.key.size());
  put_be(out, check_offset, header_check(out, xdr::as_bytes(header.key)), 8);
  return out;
}

decoded_header decode_header(xdr::bytes_view bytes) {
  if (bytes.size() < header_fixed_size) return {{}, "file shorter than an object header"};
  if (xdr::as_chars(bytes.first(magic.size())) != magic) return {{}, "bad magic (not a ferry object file)"};
  if (get_be(bytes, 8, 4) != format) return {{}, "unknown format " + std::to_string(get_be(bytes, 8, 4))};
  const auto flags = get_be(bytes, 12, 4);
  if ((flags & ~std::uint64_t{tombstone_flag}) != 0) return {{}, "unknown flags " + std::to_string(flags)};
  if (get_be(bytes, 52, 4) != 0) return {{}, "reserved header field is not zero"};
  const auto key_len = get_be(bytes, 48, 4);
  if (key_len == 0 || key_len > proto::max_key) return {{}, "key length " + std::to_string(key_len) + " out of range"};
  if (bytes.size() < header_size(key_len)) return {{}, "file ends inside the header's key"};
  const auto key = bytes.subspan(header_fixed_size, key_len);
  if (get_be(bytes, check_offset, 8) != header_check(bytes, key)) return {{}, "header checksum mismatch"};

  object_header header;
  header.key = std::string(xdr::as_chars(key));
  header.tombstone = (flags & tombstone_flag) != 0;
  header.info.ver = {get_be(bytes, 16, 8), get_be(bytes, 24, 8)};
  header.info.size = get_be(bytes, 32, 8);
  header.info.mtime_ns = get_be(bytes, 40, 8);
  if (header.tombstone && header.info.size != 0) return {{}, "tombstone with a non-zero size"};
  return {std::move(header), {}};
}

}  // namespace ferry::store::detail
