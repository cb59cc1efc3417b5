// Starting ferry-store and reading the port it bound from its announcement line.
#include "store_process.hpp"

#include <charconv>
#include <stdexcept>
#include <string_view>

namespace ferry::test {
namespace {

constexpr std::string_view announcement = "ferry-store listening on 127.0.0.1:";

/// The port of an announcement line, or 0 when the line is anything else.
std::uint16_t announced_port(std::string_view line) {
  if (!line.starts_with(announcement)) return 0;
  line.remove_prefix(announcement.size());
  std::uint16_t port = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), port);
  if (ec != std::errc{} || end != line.data() + line.size()) return 0;
  return port;
}

}  // namespace

store_process start_store(const std::string& binary, const std::vector<std::string>& args, std::uint16_t port) {
  std::vector<std::string> all{"--listen", "127.0.0.1:" + std::to_string(port), "--log-level", "warn"};
  all.insert(all.end(), args.begin(), args.end());
  store_process store;
  store.proc = std::make_unique<child_process>(binary, all);
  auto line = store.proc->read_line(std::chrono::seconds(20));
  if (!line) throw std::runtime_error("ferry-store printed no line within 20 s (see its stderr above)");
  store.port = announced_port(*line);
  if (store.port == 0) throw std::runtime_error("unexpected first line from ferry-store: '" + *line + "'");
  return store;
}

}  // namespace ferry::test
