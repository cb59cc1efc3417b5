#include "actors/listener/endpoints.hpp"

#include <cerrno>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>

namespace ferry::listener {

namespace {

namespace asio = boost::asio;

std::string errno_text(int e) { return std::strerror(e); }

// True when something accepts connections on `path` (a live daemon); false when refused (stale).
bool someone_listens(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return live;
}

}  // namespace

std::variant<unix_listening, std::string> open_unix(asio::io_context& io, const unix_endpoint_options& o) {
  auto fail = [&](const std::string& what) { return "unix socket " + o.path + ": " + what; };
  if (o.path.empty()) return fail("empty path");
  if (o.path.size() >= sizeof(sockaddr_un::sun_path)) return fail("path longer than 107 bytes");
  struct stat st {};
  if (::lstat(o.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return fail("exists and is not a socket; not removing it");
    if (someone_listens(o.path)) return fail("another process is listening on it (is ferryd already running?)");
    if (::unlink(o.path.c_str()) != 0 && errno != ENOENT) return fail("cannot remove stale socket: " + errno_text(errno));
  } else if (errno != ENOENT) {
    return fail(errno_text(errno));
  }

  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  if (!o.owner.empty()) {
    auto* pw = ::getpwnam(o.owner.c_str());
    if (!pw) return fail("unknown user \"" + o.owner + "\"");
    uid = pw->pw_uid;
  }
  if (!o.group.empty()) {
    auto* gr = ::getgrnam(o.group.c_str());
    if (!gr) return fail("unknown group \"" + o.group + "\"");
    gid = gr->gr_gid;
  }

  asio::local::stream_protocol::acceptor acceptor(io);
  boost::system::error_code ec;
  acceptor.open(asio::local::stream_protocol(), ec);
  if (!ec) acceptor.bind(asio::local::stream_protocol::endpoint(o.path), ec);
  if (ec) return fail("cannot bind: " + ec.message());
  // Permissions and owner are set between bind and listen: no client can connect before they hold.
  auto undo = [&](const std::string& what) {
    ::unlink(o.path.c_str());
    return fail(what);
  };
  if (::chmod(o.path.c_str(), static_cast<mode_t>(o.mode)) != 0) return undo("cannot chmod: " + errno_text(errno));
  if ((uid != static_cast<uid_t>(-1) || gid != static_cast<gid_t>(-1)) && ::chown(o.path.c_str(), uid, gid) != 0)
    return undo("cannot chown: " + errno_text(errno));
  if (::lstat(o.path.c_str(), &st) != 0) return undo("vanished after bind: " + errno_text(errno));
  acceptor.listen(o.backlog, ec);
  if (ec) return undo("cannot listen: " + ec.message());
  return unix_listening{std::move(acceptor), o.path, static_cast<std::uint64_t>(st.st_dev),
                        static_cast<std::uint64_t>(st.st_ino)};
}

void remove_socket_file(const std::string& path, std::uint64_t dev, std::uint64_t ino) noexcept {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;
  if (static_cast<std::uint64_t>(st.st_dev) == dev && static_cast<std::uint64_t>(st.st_ino) == ino)
    ::unlink(path.c_str());
}

std::variant<asio::ip::tcp::acceptor, std::string> open_tcp(asio::io_context& io, const std::string& host,
                                                            std::uint16_t port, int backlog) {
  auto fail = [&](const std::string& what) { return "tcp listener " + host + ":" + std::to_string(port) + ": " + what; };
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port), asio::ip::tcp::resolver::passive, ec);
  if (ec || results.empty()) return fail("cannot resolve: " + (ec ? ec.message() : std::string("no address")));
  auto endpoint = results.begin()->endpoint();
  asio::ip::tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(backlog, ec);
  if (ec) return fail(ec.message());
  return acceptor;
}

}  // namespace ferry::listener
