// The shared TOML field walk and typed setters of config/ loaders.
#include "config/detail/toml_fields.hpp"

#include <cmath>

namespace ferry::config::detail {
namespace {

/// True when some field lives inside `table_name` ("limits" for "limits.max_sessions").
bool is_table(const field_map& fields, std::string_view table_name) {
  const std::string prefix = std::string(table_name) + ".";
  auto it = fields.lower_bound(prefix);
  return it != fields.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

/// True when the schema level under `prefix` ("" for the root) has tables among its fields.
bool level_has_tables(const field_map& fields, std::string_view prefix) {
  for (auto it = fields.lower_bound(prefix); it != fields.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (it->first.find('.', prefix.size()) != std::string::npos) return true;
  }
  return false;
}

std::optional<settings_error> walk(const std::string& path, const toml::table& table, const field_map& fields,
                                   const std::string& prefix) {
  for (const auto& [key, node] : table) {
    const std::string name = prefix + std::string(key.str());
    if (auto it = fields.find(name); it != fields.end()) {
      if (auto err = it->second(node); !err.empty()) return settings_error{where(path, node, name) + err};
      continue;
    }
    if (is_table(fields, name)) {
      if (!node.is_table()) return settings_error{where(path, node, name) + "expected a table"};
      if (auto err = walk(path, *node.as_table(), fields, name + ".")) return err;
      continue;
    }
    const bool table_slot = node.is_table() && level_has_tables(fields, prefix);
    return settings_error{where(path, node, name) + (table_slot ? "unknown table" : "unknown key")};
  }
  return std::nullopt;
}

}  // namespace

std::string where(const std::string& path, const toml::node& n, std::string_view key) {
  return path + ":" + std::to_string(n.source().begin.line) + ": " + std::string(key) + ": ";
}

std::variant<toml::table, settings_error> parse_toml_file(const std::string& path) {
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return settings_error{path + ":" + std::to_string(e.source().begin.line) + ": " +
                          std::string(e.description())};
  }
}

std::optional<settings_error> apply_fields(const std::string& path, const toml::table& table,
                                           const field_map& fields) {
  return walk(path, table, fields, "");
}

field_setter text(std::string& out) {
  return [&out](const toml::node& n) -> std::string {
    if (auto v = n.value<std::string>()) {
      out = *v;
      return {};
    }
    return "expected a string";
  };
}

field_setter flag(bool& out, typing t) {
  return [&out, t](const toml::node& n) -> std::string {
    if (auto v = read_as<bool>(n, t)) {
      out = *v;
      return {};
    }
    return "expected true or false";
  };
}

field_setter text_list(std::vector<std::string>& out) {
  return [&out](const toml::node& n) -> std::string {
    const auto* array = n.as_array();
    if (array == nullptr) return "expected an array of strings";
    std::vector<std::string> values;
    for (const auto& element : *array) {
      auto v = element.value<std::string>();
      if (!v) return "expected an array of strings";
      values.push_back(std::move(*v));
    }
    out = std::move(values);
    return {};
  };
}

field_setter real(double& out) {
  return [&out](const toml::node& n) -> std::string {
    auto v = n.value<double>();
    if (!v) return "expected a number";
    if (!std::isfinite(*v) || *v < 0.0) return "out of range";
    out = *v;
    return {};
  };
}

field_setter octal_mode(std::uint32_t& out) {
  return [&out](const toml::node& n) -> std::string {
    constexpr const char* expected = "expected an octal string such as \"0660\"";
    auto v = n.value_exact<std::string>();
    if (!v || v->empty() || v->size() > 4) return expected;
    std::uint32_t mode = 0;
    for (char c : *v) {
      if (c < '0' || c > '7') return expected;
      mode = mode * 8 + static_cast<std::uint32_t>(c - '0');
    }
    out = mode;
    return {};
  };
}

}  // namespace ferry::config::detail
