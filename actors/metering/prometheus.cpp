// actors/metering/prometheus.cpp: text rendering of meter snapshots. Durations are printed as
// exact decimal seconds from integer nanoseconds, so a fixed snapshot renders byte-for-byte.
#include "actors/metering/prometheus.hpp"

#include <cstdint>
#include <cstdio>
#include <functional>

namespace ferry::metering {

std::string escape_label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void append_family_header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

namespace {

std::string seconds(std::uint64_t ns) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%llu.%09llu",
                static_cast<unsigned long long>(ns / 1'000'000'000u),
                static_cast<unsigned long long>(ns % 1'000'000'000u));
  return buf;
}

std::string integer(std::uint64_t n) { return std::to_string(n); }

void sample(std::string& out, const char* name, const std::string& labels,
            const std::string& value) {
  out += name;
  if (!labels.empty())
    out += '{' + labels + '}';
  out += ' ';
  out += value;
  out += '\n';
}

using actor_value = std::function<std::string(const actor_name_meters&)>;
using type_value = std::function<std::string(const message_type_meters&)>;

void per_actor(std::string& out, const meter_snapshot& s, const char* name, const char* type,
               const char* help, const actor_value& v) {
  append_family_header(out, name, type, help);
  for (const auto& a : s.actors)
    sample(out, name, "actor=\"" + escape_label_value(a.actor) + '"', v(a));
}

void per_type(std::string& out, const meter_snapshot& s, const char* name, const char* help,
              const type_value& v) {
  append_family_header(out, name, "counter", help);
  for (const auto& a : s.actors)
    for (const auto& t : a.types)
      sample(out, name, "actor=\"" + escape_label_value(a.actor) + "\",type=\"" + escape_label_value(t.type) + '"',
             v(t));
}

}  // namespace

std::string render_prometheus(const meter_snapshot& s) {
  std::string out;
  per_actor(out, s, "ferry_actor_messages_total", "counter",
            "Messages handled by actors of this name.",
            [](const auto& a) { return integer(a.messages); });
  per_actor(out, s, "ferry_actor_cpu_seconds_total", "counter",
            "Thread CPU time spent in resumes of actors of this name.",
            [](const auto& a) { return seconds(a.cpu_ns); });
  per_actor(out, s, "ferry_actor_wall_seconds_total", "counter",
            "Wall time spent handling messages of actors of this name.",
            [](const auto& a) { return seconds(a.wall_ns); });
  per_actor(out, s, "ferry_actor_mailbox_depth", "gauge",
            "Mailbox depth last sampled, summed over live instances.",
            [](const auto& a) { return integer(a.mailbox_depth); });
  per_actor(out, s, "ferry_actor_mailbox_depth_max", "gauge",
            "Largest mailbox depth sampled in any instance.",
            [](const auto& a) { return integer(a.mailbox_depth_max); });
  per_actor(out, s, "ferry_actor_restarts_total", "counter",
            "Restarts counted by the supervisor.",
            [](const auto& a) { return integer(a.restarts); });
  per_actor(out, s, "ferry_actor_instances", "gauge", "Live instances.",
            [](const auto& a) { return integer(a.instances); });
  per_type(out, s, "ferry_actor_message_type_messages_total",
           "Messages of this type handled by actors of this name.",
           [](const auto& t) { return integer(t.messages); });
  per_type(out, s, "ferry_actor_message_type_cpu_seconds_total",
           "CPU time estimated for this message type (resume CPU split by wall share).",
           [](const auto& t) { return seconds(t.cpu_ns); });
  per_type(out, s, "ferry_actor_message_type_wall_seconds_total",
           "Wall time spent handling this message type.",
           [](const auto& t) { return seconds(t.wall_ns); });
  append_family_header(out, "ferry_process_cpu_seconds_total", "counter",
         "Process CPU time (getrusage RUSAGE_SELF, user + system).");
  sample(out, "ferry_process_cpu_seconds_total", "", seconds(s.cpu.process_ns));
  append_family_header(out, "ferry_process_cpu_attributed_seconds_total", "counter",
         "Process CPU time attributed to metered actors.");
  sample(out, "ferry_process_cpu_attributed_seconds_total", "", seconds(s.cpu.attributed_ns));
  append_family_header(out, "ferry_process_cpu_runtime_seconds_total", "counter",
         "Process CPU time not attributed to actors (scheduler, I/O threads, allocator).");
  sample(out, "ferry_process_cpu_runtime_seconds_total", "", seconds(s.cpu.runtime_ns));
  return out;
}

}  // namespace ferry::metering
