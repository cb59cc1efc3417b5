// Starting ferryd and reading where it serves from its ready line.
#include "ferryd_process.hpp"

#include <charconv>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace ferry::test {
namespace {

constexpr std::string_view ready_prefix = "ferryd ready on ";

}  // namespace

std::optional<ready_line> parse_ready_line(const std::string& line) {
  std::string_view rest = line;
  if (!rest.starts_with(ready_prefix)) return std::nullopt;
  rest.remove_prefix(ready_prefix.size());
  // SOCKET, then pairs "tcp HOST:PORT", "admin HOST:PORT", "metrics HOST:PORT" in any order.
  std::vector<std::string_view> words;
  for (std::size_t at = 0; at <= rest.size();) {
    auto sp = rest.find(' ', at);
    if (sp == std::string_view::npos) sp = rest.size();
    words.push_back(rest.substr(at, sp - at));
    at = sp + 1;
  }
  ready_line out;
  out.socket = std::string(words.front());
  if (out.socket.empty() || words.size() % 2 != 1) return std::nullopt;
  for (std::size_t k = 1; k + 1 < words.size(); k += 2) {
    auto host_port = words[k + 1];
    auto colon = host_port.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto digits = host_port.substr(colon + 1);
    std::uint16_t port = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || end != digits.data() + digits.size() || port == 0) return std::nullopt;
    if (words[k] == "tcp")
      out.tcp_port = port;
    else if (words[k] == "admin")
      out.admin_port = port;
    else if (words[k] == "metrics")
      out.metrics_port = port;
    else
      return std::nullopt;
  }
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
  d.admin_port = ready->admin_port;
  d.metrics_port = ready->metrics_port;
  return d;
}

}  // namespace ferry::test
