// libFuzzer target: record marking. Any byte stream either asks for more, yields a record whose
// reassembled payload matches its fragments, or fails with a specific error; never a crash or a big allocation.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "xdr/record.hpp"

using namespace ferry::xdr;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  record_limits limits{.max_record_size = 1 << 16, .max_fragments = 64};
  auto scan = scan_record(bytes_view{data, size}, limits);
  if (!scan) {
    if (scan.error().offset > size) std::abort();
    return 0;
  }
  if (!scan->complete()) {
    if (scan->bytes <= size) std::abort();  // "need more" must ask for more than is there
    return 0;
  }
  if (scan->bytes > size || scan->payload_size > limits.max_record_size) std::abort();
  std::vector<byte> copy(data, data + scan->bytes);
  auto payload = record_payload(copy, *scan);
  if (payload.size() != scan->payload_size) std::abort();
  // Framing the payload again as one fragment gives a stream that scans to the same payload.
  auto reframed = frame_record(payload);
  auto again = scan_record(reframed, limits);
  if (!again || !again->complete() || again->payload_size != payload.size()) std::abort();
  return 0;
}
