// libFuzzer target: the session input path, not only the codec. The first byte picks the limits (record
// size, flow gate, memory budget); the rest is written as a client's byte stream into a real session
// (socket io + session actor + a fake router, see session_driver.hpp), whose invariants abort on breach.
#include <cstdint>

#include "session_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One actor system for the whole run, never destroyed: CAF 0.17's actor_system must not be torn down
  // by exit handlers (its destructor then reads freed memory), and a reachable static is no leak.
  static auto& driver = *new ferry::fuzz::session_driver;
  if (size == 0) return 0;
  ferry::fuzz::session_knobs k;
  const auto pick = data[0];
  k.max_record = (pick & 1) ? 4096 : 1 << 16;
  k.max_calls = (pick & 2) ? 1 : 16;
  k.max_bytes = (pick & 4) ? 4096 : 1 << 20;
  k.budget = (pick & 8) ? 4096 : 1 << 22;  // 4 KiB: most calls are answered OVERLOADED by the io
  driver.feed(ferry::xdr::bytes_view{data + 1, size - 1}, k);
  return 0;
}
