// Starting ferry-store and reading the port it bound from its announcement line.
#include "ferry_store_process.hpp"

#include <charconv>
#include <stdexcept>
#include <string_view>

namespace ferry::interop {
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

ferry_store_process start_ferry_store(const std::vector<std::string>& extra_args) {
  std::vector<std::string> args{"--listen", "127.0.0.1:0", "--memory", "--log-level", "warn"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  ferry_store_process store;
  store.process = std::make_unique<test::child_process>(FERRY_STORE_BIN, args);
  auto line = store.process->read_line(std::chrono::seconds(20));
  if (!line) throw std::runtime_error("ferry-store printed no line within 20 s (see its stderr above)");
  store.port = announced_port(*line);
  if (store.port == 0) throw std::runtime_error("unexpected first line from ferry-store: '" + *line + "'");
  return store;
}

}  // namespace ferry::interop
