// actors/metering/prometheus.hpp: a snapshot rendered in the Prometheus text exposition format
// (0.0.4). Pure: the HTTP endpoint lives elsewhere. Names are documented in README.md.
#pragma once

#include <string>

#include "actors/metering/snapshot.hpp"

namespace ferry::metering {

/// Every metric of `s`, HELP and TYPE first, series sorted as in the snapshot.
std::string render_prometheus(const meter_snapshot& s);

/// A label value escaped for the text format (`\\`, `\"`, `\n`); for other renderers of ferry series.
std::string escape_label_value(const std::string& v);

/// Appends "# HELP name help" and "# TYPE name type" lines.
void append_family_header(std::string& out, const char* name, const char* type, const char* help);

}  // namespace ferry::metering
