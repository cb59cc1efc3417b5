// The event log's line format: one logfmt line per event, built by pure functions so that
// quoting and escaping are tested without actors, sinks or clocks.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/common.h>

namespace ferry::actors {

/// Extra `key=value` pairs of one event, written in this order after the fixed keys.
using event_fields = std::vector<std::pair<std::string, std::string>>;

/// `ts=<UTC, µs> level=<name> component=<c> event=<what> key=value ...`, without a line end.
/// Values are quoted when empty or when they hold a space, `"`, `=` or a control byte; inside
/// quotes `"` and `\` are escaped and control bytes become `\n`, `\r`, `\t` or `\u00XX`, so no
/// value can end the line or forge a key. Keys lose any such byte (replaced by `_`). Bytes
/// from 0x80 up pass through unchanged (UTF-8 stays readable).
std::string format_event(std::chrono::system_clock::time_point ts, spdlog::level::level_enum level,
                         std::string_view component, std::string_view what,
                         const event_fields& fields);

/// Appends `value` to `out`, quoted and escaped as `format_event` does.
void append_value(std::string& out, std::string_view value);

/// A duration in its largest exact unit: `0s`, `5s`, `250ms`, `1500us`, `7ns`.
std::string duration_text(std::chrono::nanoseconds d);

/// `trace`, `debug`, `info`, `warn`, `error`, `critical` or `off`.
std::string_view level_name(spdlog::level::level_enum level);

/// The inverse of `level_name`; also accepts `warning`. Empty for any other name.
std::optional<spdlog::level::level_enum> parse_level(std::string_view name);

}  // namespace ferry::actors
