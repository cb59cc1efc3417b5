// A session's read gate: counts the calls and request bytes it has taken and not yet answered, and says
// when reading the socket must stop (a limit reached) and when it may go on (back below both limits).
// Pure and single-threaded: the session's io side owns one.
#pragma once

#include <cstdint>

namespace ferry::session {

struct flow_limits {
  std::uint32_t max_calls = 128;            ///< calls in flight before reading stops
  std::uint64_t max_bytes = 32ull << 20;    ///< request bytes in flight before reading stops
  friend bool operator==(const flow_limits&, const flow_limits&) = default;
};

class flow_gate {
 public:
  explicit flow_gate(flow_limits limits) noexcept : limits_(limits) {}

  /// A call of `bytes` was taken. True when reading must pause now. The call that crosses a limit is
  /// always taken (it is already read); the pause keeps the next one in the kernel's buffer.
  bool take(std::uint64_t bytes) noexcept {
    ++calls_;
    bytes_ += bytes;
    return closed();
  }

  /// A call of `bytes` was answered. True when reading was paused and may resume now.
  bool give_back(std::uint64_t bytes) noexcept {
    const bool was_closed = closed();
    if (calls_ > 0) --calls_;
    bytes_ = bytes <= bytes_ ? bytes_ - bytes : 0;
    return was_closed && !closed();
  }

  /// New limits (a reload). True when the gate is open under them (the reader should resume if paused).
  bool reconfigure(flow_limits limits) noexcept {
    limits_ = limits;
    return !closed();
  }

  /// Reading must stay paused: a limit is reached.
  bool closed() const noexcept { return calls_ >= limits_.max_calls || bytes_ >= limits_.max_bytes; }

  std::uint32_t calls() const noexcept { return calls_; }
  std::uint64_t bytes() const noexcept { return bytes_; }
  const flow_limits& limits() const noexcept { return limits_; }

 private:
  flow_limits limits_;
  std::uint32_t calls_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace ferry::session
