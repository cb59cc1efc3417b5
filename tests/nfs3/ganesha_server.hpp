// A real nfs-ganesha (FSAL VFS, NFSv3) for integration tests: a generated config in a temp dir, free
// loopback ports, rpcbind started when none runs, readiness and the export list checked, stopped by pid.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "child_process.hpp"

namespace ferry::test {

class ganesha_server {
 public:
  /// Starts the server. When it cannot (no ganesha.nfsd, no rpcbind, not root), skip_reason() says why.
  ganesha_server();
  ~ganesha_server();
  ganesha_server(const ganesha_server&) = delete;
  ganesha_server& operator=(const ganesha_server&) = delete;

  bool running() const noexcept { return ganesha_ != nullptr; }
  const std::string& skip_reason() const noexcept { return skip_; }

  /// ferryd's store URL, ports given.
  std::string store_url() const;
  /// libnfs URL of a file under the export (nfs-cat, nfs-cp), ports given.
  std::string libnfs_url(const std::string& path) const;
  const std::filesystem::path& export_dir() const noexcept { return export_; }
  std::uint16_t nfs_port() const noexcept { return nfs_port_; }
  std::uint16_t mount_port() const noexcept { return mount_port_; }

  /// SIGTERM and wait (bounded); then start again on the same ports and export. False if it did not.
  bool restart();
  void stop();
  /// SIGSTOP / SIGCONT: a server that holds connections open and answers nothing.
  void pause();
  void resume();

 private:
  bool start();
  std::filesystem::path dir_, export_;
  std::uint16_t nfs_port_ = 0, mount_port_ = 0;
  std::unique_ptr<child_process> rpcbind_;  // only when this fixture started it
  std::unique_ptr<child_process> ganesha_;
  std::string skip_;
};

/// Runs a shell command with a time limit; its exit status (-1 if it could not run) and stdout.
int run_command(const std::string& command, std::string* out = nullptr);

}  // namespace ferry::test
