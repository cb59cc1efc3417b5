// logfmt rendering of one event. Peers and clients supply some of the values, so every byte
// that could break the line or the key=value structure is quoted or escaped here.
#include "actors/event_log/format.hpp"

#include <array>
#include <ctime>

namespace ferry::actors {

namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (unsigned char c : value)
    if (c == ' ' || c == '"' || c == '=' || is_control(c)) return true;
  return false;
}

void append_escaped(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
  }
  if (is_control(c)) {
    out += "\\u00";
    out += hex[c >> 4];
    out += hex[c & 0xf];
  } else {
    out += static_cast<char>(c);
  }
}

void append_key(std::string& out, std::string_view key) {
  if (key.empty()) {
    out += '_';
    return;
  }
  for (unsigned char c : key)
    out += (c == ' ' || c == '"' || c == '=' || c == '\\' || is_control(c)) ? '_' : static_cast<char>(c);
}

void append_pair(std::string& out, std::string_view key, std::string_view value) {
  out += ' ';
  append_key(out, key);
  out += '=';
  append_value(out, value);
}

/// RFC 3339 in UTC with microseconds: 2026-11-25T22:59:32.123456Z.
void append_timestamp(std::string& out, std::chrono::system_clock::time_point ts) {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(ts.time_since_epoch()).count();
  auto secs = us / 1'000'000;
  auto frac = us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    secs -= 1;
  }
  auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 40> buf{};
  auto n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  out.append(buf.data(), n);
  auto digits = std::to_string(frac);
  out += '.';
  out.append(6 - digits.size(), '0');
  out += digits;
  out += 'Z';
}

constexpr std::array<std::string_view, 7> level_names = {"trace", "debug", "info", "warn",
                                                         "error", "critical", "off"};

}  // namespace

void append_value(std::string& out, std::string_view value) {
  if (!needs_quotes(value)) {
    out += value;
    return;
  }
  out += '"';
  for (unsigned char c : value) append_escaped(out, c);
  out += '"';
}

std::string format_event(std::chrono::system_clock::time_point ts, spdlog::level::level_enum level,
                         std::string_view component, std::string_view what,
                         const event_fields& fields) {
  std::string out;
  out.reserve(96 + what.size() + fields.size() * 24);
  out += "ts=";
  append_timestamp(out, ts);
  append_pair(out, "level", level_name(level));
  append_pair(out, "component", component);
  append_pair(out, "event", what);
  for (const auto& [key, value] : fields) append_pair(out, key, value);
  return out;
}

std::string duration_text(std::chrono::nanoseconds d) {
  auto n = d.count();
  if (n % 1'000'000'000 == 0) return std::to_string(n / 1'000'000'000) + "s";
  if (n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "ms";
  if (n % 1'000 == 0) return std::to_string(n / 1'000) + "us";
  return std::to_string(n) + "ns";
}

std::string_view level_name(spdlog::level::level_enum level) {
  auto i = static_cast<std::size_t>(level);
  return i < level_names.size() ? level_names[i] : std::string_view{"off"};
}

std::optional<spdlog::level::level_enum> parse_level(std::string_view name) {
  if (name == "warning") return spdlog::level::warn;
  for (std::size_t i = 0; i < level_names.size(); ++i)
    if (level_names[i] == name) return static_cast<spdlog::level::level_enum>(i);
  return std::nullopt;
}

}  // namespace ferry::actors
