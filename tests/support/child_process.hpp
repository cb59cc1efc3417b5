// Starts a real binary for an integration test: arguments, stdout captured line by line with a bounded
// wait, signals, and a destructor that kills and reaps it so no test leaves a process behind.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace ferry::test {

class child_process {
 public:
  /// Starts `path` with `args`; stderr goes to the test's stderr (logs stay visible on failure).
  child_process(const std::string& path, const std::vector<std::string>& args);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// The next line of stdout, waiting at most `limit`; nullopt on EOF or when the limit passes.
  std::optional<std::string> read_line(std::chrono::milliseconds limit = std::chrono::seconds(20));
  void signal(int sig);
  /// Waits for exit (at most `limit`), returns the exit status as from waitpid, or nullopt.
  std::optional<int> wait(std::chrono::milliseconds limit = std::chrono::seconds(30));
  pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
  bool reaped_ = false;
};

}  // namespace ferry::test
