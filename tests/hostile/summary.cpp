// Writes the summary lines (see summary.hpp).
#include "summary.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace ferry::hostile {

summary& summary::num(const std::string& key, double v) {
  std::ostringstream s;
  s << v;
  fields_.emplace_back(key, s.str());
  return *this;
}

summary& summary::text(const std::string& key, const std::string& v) {
  std::string q = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') q += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) q += c;
  }
  fields_.emplace_back(key, q + "\"");
  return *this;
}

summary::~summary() {
  std::string line = "{\"test\": \"" + test_ + "\"";
  for (const auto& [k, v] : fields_) line += ", \"" + k + "\": " + v;
  line += "}\n";
  std::fputs(line.c_str(), stderr);  // also in the test's own log
  const char* dir = std::getenv("FERRY_HOSTILE_REPORT_DIR");
  if (dir == nullptr || *dir == 0) return;
  std::ofstream out(std::string(dir) + "/results.jsonl", std::ios::app);
  out << line;
}

}  // namespace ferry::hostile
