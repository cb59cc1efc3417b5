// TOML loading for ferry-store settings with file:line:key errors.
#include "config/store_settings.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <functional>
#include <map>

namespace ferry::config {
namespace {

std::string where(const std::string& path, const toml::node& n, const std::string& key) {
  return path + ":" + std::to_string(n.source().begin.line) + ": " + key + ": ";
}

}  // namespace

std::variant<store_settings, settings_error> load_store_settings(const std::string& path, store_settings s) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return settings_error{path + ":" + std::to_string(e.source().begin.line) + ": " +
                          std::string(e.description())};
  }
  using setter = std::function<std::string(const toml::node&)>;  // returns an error message or ""
  auto text = [](std::string& out) -> setter {
    return [&out](const toml::node& n) -> std::string {
      if (auto v = n.value<std::string>()) { out = *v; return {}; }
      return "expected a string";
    };
  };
  auto flag = [](bool& out) -> setter {
    return [&out](const toml::node& n) -> std::string {
      if (auto v = n.value<bool>()) { out = *v; return {}; }
      return "expected true or false";
    };
  };
  auto number = [](auto& out) -> setter {
    return [&out](const toml::node& n) -> std::string {
      auto v = n.value<std::int64_t>();
      if (!v) return "expected an integer";
      using T = std::remove_reference_t<decltype(out)>;
      if (*v < 0 || static_cast<std::uint64_t>(*v) > std::numeric_limits<T>::max()) return "out of range";
      out = static_cast<T>(*v);
      return {};
    };
  };
  const std::map<std::string, setter> keys = {
      {"listen", text(s.listen)},
      {"data_dir", text(s.data_dir)},
      {"memory", flag(s.memory)},
      {"fsync", flag(s.fsync)},
      {"workers", number(s.workers)},
      {"max_value", number(s.max_value)},
      {"chunk_size", number(s.chunk_size)},
      {"tombstone_retention_s", number(s.tombstone_retention_s)},
      {"max_connections", number(s.max_connections)},
      {"node_name", text(s.node_name)},
      {"register_rpcbind", flag(s.register_rpcbind)},
      {"log_level", text(s.log_level)},
  };
  for (const auto& [key, node] : table) {
    std::string name{key.str()};
    auto it = keys.find(name);
    if (it == keys.end()) return settings_error{where(path, node, name) + "unknown key"};
    if (auto err = it->second(node); !err.empty()) return settings_error{where(path, node, name) + err};
  }
  if (auto* l = table.get("listen")) {
    std::string host;
    std::uint16_t port = 0;
    if (!split_host_port(s.listen, host, port))
      return settings_error{where(path, *l, "listen") + "expected HOST:PORT, got '" + s.listen + "'"};
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
