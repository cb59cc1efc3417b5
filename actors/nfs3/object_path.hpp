// Where an object lives under an NFS export: key -> (fan-out directory, file name) and back. Stable:
// files placed by hand at the mapped path are objects, so changing this changes the on-disk format.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xdr/bytes.hpp"

namespace ferry::nfs3 {

inline constexpr std::size_t max_plain_name = 200;  // a safe key longer than this is encoded
inline constexpr char encoded_mark = '=';           // file names "=<hex of key>" hold unsafe keys
inline constexpr std::string_view temp_prefix = ".ferry-tmp-";

struct object_path {
  std::string dir;   ///< two lowercase hex digits: the low byte of FNV-1a-64 of the key bytes
  std::string name;  ///< the key itself when safe_name(key), else '=' + lowercase hex of the key
};

/// True when the key can be its own file name: 1..200 bytes of 0x21..0x7e, no '/', not starting with
/// '.' (hides temporaries, excludes "." and "..") or '=' (the encoded form's mark).
bool safe_name(std::string_view key) noexcept;

/// The path of `key`; nullopt when its name would exceed NAME_MAX (255), i.e. an unsafe key over 127 bytes.
std::optional<object_path> path_of(xdr::bytes_view key);

/// The key a file name in a fan-out directory holds; nullopt for names that are not objects
/// (temporaries, dot files, malformed encodings, encodings of keys that would be stored plain).
std::optional<std::string> key_of(std::string_view name);

/// The 256 fan-out directory names, "00".."ff", in order.
std::string fanout_dir(unsigned index);

}  // namespace ferry::nfs3
