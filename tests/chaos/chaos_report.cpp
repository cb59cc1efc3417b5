// Writing a chaos test's summary file and reading the knobs of the chaos runs from the environment.
#include "chaos_report.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace ferry::chaos {

std::string summary::text() const {
  std::string out;
  for (const auto& [name, value] : rows_) out += "  " + name + ": " + value + "\n";
  return out;
}

bool summary::write() const {
  const char* dir = std::getenv("FERRY_CHAOS_REPORT_DIR");
  if (!dir || !*dir) return true;
  std::ofstream f(std::string(dir) + "/" + test_ + ".tsv", std::ios::trunc);
  for (const auto& [name, value] : rows_) f << name << '\t' << value << '\n';
  return static_cast<bool>(f);
}

unsigned env_seconds(const char* name, unsigned fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  unsigned out = 0;
  auto [end, ec] = std::from_chars(v, v + std::strlen(v), out);
  return ec == std::errc{} && *end == '\0' ? out : fallback;
}

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && std::strcmp(v, "1") == 0;
}

}  // namespace ferry::chaos
