// TOML loading for ferry-store settings with file:line:key errors.
#include "config/store_settings.hpp"

#include <charconv>

#include "config/detail/toml_fields.hpp"

namespace ferry::config {

std::variant<store_settings, settings_error> load_store_settings(const std::string& path, store_settings s) {
  auto parsed = detail::parse_toml_file(path);
  if (auto* err = std::get_if<settings_error>(&parsed)) return *err;
  const auto& table = std::get<toml::table>(parsed);
  using detail::flag, detail::number, detail::text;
  constexpr auto lenient = detail::typing::lenient;
  const detail::field_map keys = {
      {"listen", text(s.listen)},
      {"data_dir", text(s.data_dir)},
      {"memory", flag(s.memory, lenient)},
      {"fsync", flag(s.fsync, lenient)},
      {"workers", number(s.workers, lenient)},
      {"max_value", number(s.max_value, lenient)},
      {"chunk_size", number(s.chunk_size, lenient)},
      {"tombstone_retention_s", number(s.tombstone_retention_s, lenient)},
      {"max_connections", number(s.max_connections, lenient)},
      {"node_name", text(s.node_name)},
      {"register_rpcbind", flag(s.register_rpcbind, lenient)},
      {"log_level", text(s.log_level)},
  };
  if (auto err = detail::apply_fields(path, table, keys)) return *err;
  if (auto* l = table.get("listen")) {
    std::string host;
    std::uint16_t port = 0;
    if (!split_host_port(s.listen, host, port))
      return settings_error{detail::where(path, *l, "listen") + "expected HOST:PORT, got '" + s.listen + "'"};
  }
  return s;
}

bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto digits = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace ferry::config
