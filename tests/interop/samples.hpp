// Representative field values for the codec tables: lengths at every padding remainder and at the
// declared limits, versions with the high bit set, request ids with 00 and ff bytes.
#pragma once

#include <string>
#include <vector>

#include "agreement.hpp"
#include "xdr/protocol/common.hpp"

namespace ferry::interop::samples {

/// Bytes that live as long as the test binary, so views of them can sit in tables.
inline bytes_view kept(std::vector<byte> bytes) {
  static std::vector<std::vector<byte>> store;  // main thread only (table building)
  store.push_back(std::move(bytes));
  return store.back();
}

inline const std::vector<named<bytes_view>>& keys() {
  static const std::vector<named<bytes_view>> rows{
      {"empty key", {}},
      {"1-byte key (3 pad bytes)", kept(pattern(1, 1))},
      {"2-byte key (2 pad bytes)", kept(pattern(2, 2))},
      {"7-byte key (1 pad byte)", kept(pattern(7, 3))},
      {"1023-byte key", kept(pattern(1023, 4))},
      {"1024-byte key (FERRY_MAX_KEY)", kept(pattern(proto::max_key, 5))},
  };
  return rows;
}

inline const std::vector<named<bytes_view>>& values() {
  static const std::vector<named<bytes_view>> rows{
      {"empty value", {}},
      {"5-byte value", kept(pattern(5, 6))},
      {"4095-byte value (copied by ferry's encoder)", kept(pattern(4095, 7))},
      {"4097-byte value (referenced by ferry's encoder, 3 pad bytes)", kept(pattern(4097, 8))},
      {"1 MiB value", kept(pattern(1u << 20, 9))},
  };
  return rows;
}

inline const std::vector<named<proto::version>>& versions() {
  static const std::vector<named<proto::version>> rows{
      {"zero version", {0, 0}},
      {"small version", {1, 2}},
      {"version with high bits set", {0x8000000000000001u, 0xFFFFFFFFFFFFFFFFu}},
      {"version with distinct halves", {0xFEDCBA9876543210u, 0x0123456789ABCDEFu}},
  };
  return rows;
}

inline const std::vector<named<proto::request_id>>& request_ids() {
  static const std::vector<named<proto::request_id>> rows{
      {"zero request id", {}},
      {"request id 00..0f", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}},
      {"request id ff..", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                           0xff, 0xfe}},
  };
  return rows;
}

/// Detail strings are C strings on the rpcgen side: printable, no NUL.
inline const std::vector<named<std::string_view>>& details() {
  static const std::string odd(255, 'd');
  static const std::string longest(proto::max_detail, 'D');
  static const std::vector<named<std::string_view>> rows{
      {"empty detail", ""},
      {"1-byte detail", "x"},
      {"6-byte detail", "no key"},
      {"255-byte detail", odd},
      {"256-byte detail (FERRY_MAX_DETAIL)", longest},
  };
  return rows;
}

inline proto::object_info info(std::size_t i) {
  const auto& v = versions()[i % versions().size()].value;
  return {0xF000000000000000u + i, v, 1'700'000'000'123'456'789u + i};
}

/// Every status the codec knows, for tables that cover every union arm.
inline std::vector<proto::status> all_statuses() {
  std::vector<proto::status> out;
  for (std::uint32_t s = 0; s <= 15; ++s) out.push_back(static_cast<proto::status>(s));
  return out;
}

/// A row per status: `arm` gives the value for a status with an arm of its own (or nullopt), and every
/// other status carries each sample detail in turn.
template <class Result, class Arm>
std::vector<named<Result>> union_rows(Arm arm) {
  std::vector<named<Result>> rows;
  std::size_t n = 0;
  for (auto s : all_statuses()) {
    auto name = std::string{proto::to_string(s)};
    if (auto own = arm(s)) {
      for (auto& r : *own) rows.push_back({name + ", " + r.name, r.value});
      continue;
    }
    const auto& d = details()[n++ % details().size()];
    Result r{};
    r.code = s;
    r.detail = d.value;
    rows.push_back({name + " with " + d.name, r});
  }
  return rows;
}

inline constexpr std::uint32_t max_u32 = 0xFFFFFFFFu;
inline constexpr std::uint64_t high_u64 = 0x8000000000000000u;

inline const bytes_view& key(std::size_t i) { return keys()[i].value; }

/// One row per sample key, built by make(key, row index).
template <class Args, class Make>
std::vector<named<Args>> per_key(Make make) {
  std::vector<named<Args>> rows;
  std::size_t i = 0;
  for (const auto& k : keys()) rows.push_back({k.name, make(k.value, i++)});
  return rows;
}

}  // namespace ferry::interop::samples
