// The progress bar: one '\r'-rewritten line on stderr, cleared when done.
#include "ferry_cli_progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <utility>

namespace ferry::cli {

progress::progress(std::string label, std::uint64_t total)
    : label_(std::move(label)), total_(total), tty_(::isatty(STDERR_FILENO) == 1) {}

progress::~progress() { finish(); }

void progress::update(std::uint64_t done) {
  done_ = done;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  draw();
}

void progress::phase(const char* what) {
  phase_ = what;
  draw();
}

void progress::draw() {
  if (!tty_ || std::max(total_, done_) <= threshold) return;
  constexpr double mib = 1024.0 * 1024.0;
  std::string line;
  if (total_ != 0) {
    constexpr int width = 30;
    auto filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(std::min(done_, total_)) /
                                   static_cast<double>(total_));
    line = fmt::format("{} [{}{}] {:5.1f}/{:.1f} MiB {}", label_, std::string(static_cast<std::size_t>(filled), '#'),
                       std::string(static_cast<std::size_t>(width - filled), '.'),
                       static_cast<double>(done_) / mib, static_cast<double>(total_) / mib, phase_);
  } else {
    line = fmt::format("{} {:.1f} MiB {}", label_, static_cast<double>(done_) / mib, phase_);
  }
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void progress::finish() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace ferry::cli
