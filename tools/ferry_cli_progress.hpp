// A progress bar on stderr for large transfers: shown only when stderr is a terminal and the transfer
// passes 4 MiB, so pipes, logs and tests see nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ferry::cli {

class progress {
 public:
  static constexpr std::uint64_t threshold = 4u << 20;

  /// `total` 0: unknown (the bar shows bytes only). Draws nothing unless stderr is a terminal.
  progress(std::string label, std::uint64_t total);
  ~progress();
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;

  /// `done` bytes so far; redraws at most every 100 ms.
  void update(std::uint64_t done);
  /// A step the bar cannot measure (the PUT or GET itself): shown as a status word after the counts.
  void phase(const char* what);
  /// Clears the line.
  void finish();

 private:
  void draw();
  std::string label_;
  std::uint64_t total_;
  std::uint64_t done_ = 0;
  const char* phase_ = "";
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace ferry::cli
