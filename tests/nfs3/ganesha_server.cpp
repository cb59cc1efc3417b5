// ganesha_server: see the header. Every wait polls with a bounded deadline.
#include "ganesha_server.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace ferry::test {

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

bool port_open(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  close(fd);
  return ok;
}

std::uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

template <class F>
bool poll_until(std::chrono::milliseconds limit, F ready) {
  auto end = clock_type::now() + limit;
  for (;;) {
    if (ready()) return true;
    if (clock_type::now() > end) return false;
    std::this_thread::sleep_for(20ms);
  }
}

std::string tail_of(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line, last;
  for (int n = 0; std::getline(in, line) && n < 100000; ++n) last = line;
  return last;
}

}  // namespace

int run_command(const std::string& command, std::string* out) {
  FILE* p = popen(("timeout 20 " + command).c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    if (out) out->append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

ganesha_server::ganesha_server() {
  if (geteuid() != 0) {
    skip_ = "not root: ganesha.nfsd needs root";
    return;
  }
  if (access("/usr/bin/ganesha.nfsd", X_OK) != 0) {
    skip_ = "/usr/bin/ganesha.nfsd is not installed (apt-get install nfs-ganesha nfs-ganesha-vfs)";
    return;
  }
  if (!port_open(111)) {
    // NFSv3 ganesha registers with rpcbind at start and exits without it (notes/nfs-ganesha.md).
    if (access("/usr/sbin/rpcbind", X_OK) != 0) {
      skip_ = "rpcbind is neither running nor installed";
      return;
    }
    rpcbind_ = std::make_unique<child_process>("/usr/sbin/rpcbind", std::vector<std::string>{"-f"});
    if (!poll_until(5s, [] { return port_open(111); })) {
      skip_ = "rpcbind did not start listening on port 111";
      return;
    }
  }
  char templ[] = "/tmp/nfs-ganesha-XXXXXX";
  if (!mkdtemp(templ)) {
    skip_ = "mkdtemp failed";
    return;
  }
  dir_ = templ;
  export_ = dir_ / "export";
  std::filesystem::create_directories(export_);
  std::filesystem::create_directories(dir_ / "recov");
  nfs_port_ = free_port();
  do mount_port_ = free_port(); while (mount_port_ == nfs_port_);
  std::ofstream conf(dir_ / "ganesha.conf");
  conf << "NFS_CORE_PARAM {\n  Bind_Addr = 127.0.0.1;\n  NFS_Port = " << nfs_port_ << ";\n  MNT_Port = " << mount_port_
       << ";\n  Enable_NLM = false;\n  Enable_RQUOTA = false;\n  Enable_UDP = false;\n  Protocols = 3, 4;\n"
          "  Mount_Path_Pseudo = true;\n}\n"
          "NFSV4 {\n  Graceless = true;\n  RecoveryBackend = fs;\n  RecoveryRoot = "
       << (dir_ / "recov").string()
       << ";\n}\nNFS_KRB5 {\n  Active_krb5 = false;\n}\nLOG {\n  Default_Log_Level = EVENT;\n}\n"
          "EXPORT {\n  Export_Id = 1;\n  Path = "
       << export_.string()
       << ";\n  Pseudo = /export;\n  Protocols = 3, 4;\n  Transports = TCP;\n  Access_Type = RW;\n"
          "  Squash = No_Root_Squash;\n  SecType = sys;\n  FSAL {\n    Name = VFS;\n  }\n}\n";
  conf.close();
  start();
}

bool ganesha_server::start() {
  ganesha_ = std::make_unique<child_process>(
      "/usr/bin/ganesha.nfsd",
      std::vector<std::string>{"-F", "-f", (dir_ / "ganesha.conf").string(), "-L", (dir_ / "ganesha.log").string(),
                               "-p", (dir_ / "ganesha.pid").string(), "-N", "NIV_EVENT"});
  if (!poll_until(15s, [this] { return port_open(nfs_port_) && port_open(mount_port_); })) {
    skip_ = "ganesha.nfsd did not open its ports; last log line: " + tail_of(dir_ / "ganesha.log");
    ganesha_.reset();
    return false;
  }
  // A config error does not stop ganesha: only the export list proves the export is served.
  std::string exports;
  bool listed = poll_until(10s, [&] {
    exports.clear();
    return run_command("showmount -e 127.0.0.1 2>&1", &exports) == 0 && exports.find("/export") != std::string::npos;
  });
  if (!listed) {
    skip_ = "ganesha runs but exports nothing (showmount -e: " + exports + "); log: " + tail_of(dir_ / "ganesha.log");
    ganesha_.reset();
    return false;
  }
  return true;
}

void ganesha_server::stop() {
  if (!ganesha_) return;
  ganesha_->signal(SIGCONT);  // a paused server cannot act on SIGTERM
  ganesha_->signal(SIGTERM);
  ganesha_->wait(std::chrono::milliseconds(15000));  // the destructor kills it if it did not exit
  ganesha_.reset();
}

void ganesha_server::pause() {
  if (!ganesha_) return;
  ganesha_->signal(SIGSTOP);
  // kill() returns before every thread has stopped: wait until the kernel reports the process stopped.
  const auto stat = "/proc/" + std::to_string(ganesha_->pid()) + "/stat";
  poll_until(2s, [&] {
    std::ifstream in(stat);
    std::string line;
    std::getline(in, line);
    auto close = line.rfind(')');
    return close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'T';
  });
}

void ganesha_server::resume() {
  if (ganesha_) ganesha_->signal(SIGCONT);
}

bool ganesha_server::restart() {
  stop();
  return start();
}

ganesha_server::~ganesha_server() {
  stop();
  if (rpcbind_) {
    rpcbind_->signal(SIGTERM);
    rpcbind_->wait(std::chrono::milliseconds(5000));
  }
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

std::string ganesha_server::store_url() const {
  return "nfs3://127.0.0.1/export?nfsport=" + std::to_string(nfs_port_) + "&mountport=" + std::to_string(mount_port_);
}

std::string ganesha_server::libnfs_url(const std::string& path) const {
  return "nfs://127.0.0.1/export/" + path + "?version=3&nfsport=" + std::to_string(nfs_port_) +
         "&mountport=" + std::to_string(mount_port_);
}

}  // namespace ferry::test
