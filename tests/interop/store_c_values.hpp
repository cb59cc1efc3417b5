// Small conversions between the C structs of rpcgen's FERRY_STORE stubs and what the tests compare:
// char* views of test bytes for arguments, readable text of versions, strings and libtirpc errors.
#pragma once

#include <string>
#include <string_view>

#include "ferry_store.h"
#include "wire_support.hpp"

namespace ferry::interop::store_c {

/// "" for RPC_SUCCESS, libtirpc's message otherwise: REQUIRE(rpc_error(...) == "") shows why a call failed.
inline std::string rpc_error(clnt_stat stat) { return stat == RPC_SUCCESS ? "" : clnt_sperrno(stat); }

inline std::string text(ferry_version v) { return std::to_string(v.hlc) + "/" + std::to_string(v.writer); }
inline std::string text(const char* c_string) { return c_string == nullptr ? "(NULL)" : c_string; }
inline std::string text(const char* bytes, u_int length) { return {bytes, length}; }

/// rpcgen's argument structs point at caller bytes through char*; its encoder only reads them.
inline char* c_chars(std::string_view s) { return const_cast<char*>(s.data()); }
inline char* c_chars(bytes_view b) { return const_cast<char*>(reinterpret_cast<const char*>(b.data())); }
inline u_int c_length(std::size_t n) { return static_cast<u_int>(n); }

inline ferry_key key_of(std::string_view key) { return ferry_key{c_length(key.size()), c_chars(key)}; }

/// A view of bytes libtirpc decoded into a result.
inline bytes_view bytes_of(const char* data, u_int length) { return {reinterpret_cast<const byte*>(data), length}; }

}  // namespace ferry::interop::store_c
