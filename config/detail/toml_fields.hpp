// What every config/ loader shares: reading a TOML file, typed setters with range checks, and a walk over
// the file that hands each dotted key to its setter. Internal to config/: users see the settings structs.
#pragma once

#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "config/store_settings.hpp"

namespace ferry::config::detail {

/// Stores a value taken from a TOML node; returns what is wrong with the node, or "" when it was taken.
using field_setter = std::function<std::string(const toml::node&)>;

/// Every key a file may hold, dotted for keys inside tables ("limits.max_sessions"), with its setter.
using field_map = std::map<std::string, field_setter, std::less<>>;

/// "path:line: key: " for a node of the file.
std::string where(const std::string& path, const toml::node& n, std::string_view key);

/// The parsed file, or "path:line: description" (toml++'s words) when it cannot be read or parsed.
std::variant<toml::table, settings_error> parse_toml_file(const std::string& path);

/// Hands every key of `table` to its setter in `fields`, in key order (toml++ keeps tables sorted, so with
/// several mistakes the one reported is the first by name, not by line). The first key that is unknown ("unknown key", or
/// "unknown table" where the schema has tables beside keys), not a table where the schema has one
/// ("expected a table"), or refused by its setter is returned as "path:line: key: message".
std::optional<settings_error> apply_fields(const std::string& path, const toml::table& table,
                                           const field_map& fields);

/// How far a setter goes to read a node as its type. ferry-store keeps toml++'s conversions (`1` is true,
/// `4.0` is 4), as it always has; ferryd takes exactly the TOML type (numbers excepted: `rate = 2` is 2.0).
enum class typing { lenient, exact };

template <class T>
std::optional<T> read_as(const toml::node& n, typing t) {
  return t == typing::exact ? n.value_exact<T>() : n.value<T>();
}

field_setter text(std::string& out);
field_setter flag(bool& out, typing t);
/// A string array, elements in order (the old value is replaced, not extended).
field_setter text_list(std::vector<std::string>& out);
/// A non-negative finite number; TOML integers are accepted too ("rate = 2").
field_setter real(double& out);
/// A permission mode as an octal string such as "0660" (1 to 4 octal digits). Integers are refused:
/// `mode = 660` would silently mean 01224.
field_setter octal_mode(std::uint32_t& out);

/// A non-negative integer that fits in T.
template <class T>
field_setter number(T& out, typing t) {
  static_assert(std::is_integral_v<T>);
  return [&out, t](const toml::node& n) -> std::string {
    auto v = read_as<std::int64_t>(n, t);
    if (!v) return "expected an integer";
    if (*v < 0 || static_cast<std::uint64_t>(*v) > std::numeric_limits<T>::max()) return "out of range";
    out = static_cast<T>(*v);
    return {};
  };
}

/// A non-negative integer count of milliseconds stored in any std::chrono duration that can hold it.
template <class Rep, class Period>
field_setter milliseconds(std::chrono::duration<Rep, Period>& out, typing t) {
  using target = std::chrono::duration<Rep, Period>;
  return [&out, t](const toml::node& n) -> std::string {
    auto v = read_as<std::int64_t>(n, t);
    if (!v) return "expected an integer (milliseconds)";
    const auto most = std::chrono::duration_cast<std::chrono::milliseconds>(target::max()).count();
    if (*v < 0 || *v > most) return "out of range";
    out = std::chrono::duration_cast<target>(std::chrono::milliseconds{*v});
    return {};
  };
}

}  // namespace ferry::config::detail
