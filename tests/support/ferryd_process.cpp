// Starting ferryd and reading where it serves from its ready line.
#include "ferryd_process.hpp"

#include <charconv>
#include <stdexcept>
#include <string_view>

namespace ferry::test {
namespace {

constexpr std::string_view ready_prefix = "ferryd ready on ";
constexpr std::string_view tcp_marker = " tcp ";

}  // namespace

std::optional<ready_line> parse_ready_line(const std::string& line) {
  std::string_view rest = line;
  if (!rest.starts_with(ready_prefix)) return std::nullopt;
  rest.remove_prefix(ready_prefix.size());
  ready_line out;
  auto tcp = rest.find(tcp_marker);
  out.socket = std::string(rest.substr(0, tcp));
  if (out.socket.empty()) return std::nullopt;
  if (tcp == std::string_view::npos) return out;
  auto host_port = rest.substr(tcp + tcp_marker.size());
  auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto port = host_port.substr(colon + 1);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.tcp_port);
  if (ec != std::errc{} || end != port.data() + port.size() || out.tcp_port == 0) return std::nullopt;
  return out;
}

std::unique_ptr<child_process> spawn_ferryd(const std::string& binary, const std::vector<std::string>& args,
                                            const std::string& stderr_path) {
  if (stderr_path.empty()) return std::make_unique<child_process>(binary, args);
  // The shell only redirects and execs: the pid stays ferryd's, so signals and the exit status are its own.
  std::vector<std::string> sh_args{"-c", "f=$1; shift; exec \"$@\" 2>\"$f\"", "sh", stderr_path, binary};
  sh_args.insert(sh_args.end(), args.begin(), args.end());
  return std::make_unique<child_process>("/bin/sh", sh_args);
}

ferryd_process start_ferryd(const std::string& binary, const std::vector<std::string>& args,
                            const std::string& stderr_path) {
  ferryd_process d;
  d.proc = spawn_ferryd(binary, args, stderr_path);
  auto line = d.proc->read_line(std::chrono::seconds(20));
  if (!line) throw std::runtime_error("ferryd printed no ready line within 20 s (see its stderr)");
  auto ready = parse_ready_line(*line);
  if (!ready) throw std::runtime_error("unexpected first line from ferryd: '" + *line + "'");
  d.socket = ready->socket;
  d.tcp_port = ready->tcp_port;
  return d;
}

}  // namespace ferry::test
