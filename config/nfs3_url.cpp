// Parser of nfs3:// store URLs: host, absolute export path, numeric options, each at most once.
#include "config/nfs3_url.hpp"

#include <charconv>
#include <limits>

namespace ferry::config {

namespace {

template <class T>
bool to_number(std::string_view digits, T& out) {
  unsigned long long v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc{} || end != digits.data() + digits.size() || v > std::numeric_limits<T>::max()) return false;
  out = static_cast<T>(v);
  return true;
}

std::string quoted(std::string_view s) { return "'" + std::string{s} + "'"; }

}  // namespace

bool is_nfs3_url(std::string_view text) noexcept { return text.substr(0, nfs3_scheme.size()) == nfs3_scheme; }

std::variant<nfs3_url, std::string> parse_nfs3_url(std::string_view text) {
  if (!is_nfs3_url(text)) return "expected nfs3://HOST/EXPORT, got " + quoted(text);
  auto rest = text.substr(nfs3_scheme.size());
  nfs3_url url;
  std::string_view host;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return "unclosed '[' in the host of " + quoted(text);
    host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
  } else {
    auto slash = rest.find('/');
    host = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
  if (host.empty()) return "no host in " + quoted(text);
  if (host.find(':') != std::string_view::npos && text.substr(nfs3_scheme.size(), 1) != "[")
    return "a port after the host is not how NFS ports are given: use ?nfsport=N&mountport=M in " + quoted(text);
  url.host = host;
  auto query_at = rest.find('?');
  auto path = rest.substr(0, query_at);
  if (path.empty() || path.front() != '/' || path == "/") return "no export path after the host in " + quoted(text);
  url.export_path = path;
  if (query_at == std::string_view::npos) return url;
  auto query = rest.substr(query_at + 1);
  bool seen[4] = {};
  while (!query.empty()) {
    auto amp = query.find('&');
    auto item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) return "option " + quoted(item) + " has no '=VALUE'";
    auto name = item.substr(0, eq), value = item.substr(eq + 1);
    int which = name == "nfsport" ? 0 : name == "mountport" ? 1 : name == "uid" ? 2 : name == "gid" ? 3 : -1;
    if (which < 0) return "unknown option " + quoted(name) + " (expected nfsport, mountport, uid, gid)";
    if (seen[which]) return "option " + quoted(name) + " is given twice";
    seen[which] = true;
    bool ok = which == 0   ? to_number(value, url.nfs_port) && url.nfs_port != 0
              : which == 1 ? to_number(value, url.mount_port) && url.mount_port != 0
              : which == 2 ? to_number(value, url.uid)
                           : to_number(value, url.gid);
    if (!ok)
      return "option " + quoted(name) + " must be a number" + (which < 2 ? " in 1..65535" : " in 0..4294967295") +
             ", got " + quoted(value);
  }
  return url;
}

}  // namespace ferry::config
