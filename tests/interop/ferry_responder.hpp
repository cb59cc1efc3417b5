// ferry's side of a connection in the interop tests: a thread that reads calls with ferry's record
// scanner, decodes them with ferry's codec and answers with ferry's encoder, until the peer closes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "wire_support.hpp"
#include "xdr/encoder.hpp"
#include "xdr/rpc.hpp"

namespace ferry::interop {

/// What the responder saw of one call: the record exactly as it arrived, for later decoding.
struct served_call {
  received_record record;
};

class ferry_responder {
 public:
  /// Encodes the reply to `call` (header and results) into `reply`, inside a record begun for it.
  using handler = std::function<void(const xdr::rpc::call& call, xdr::encoder& reply)>;

  ferry_responder(unique_fd connection, handler answer);
  ~ferry_responder();
  ferry_responder(const ferry_responder&) = delete;
  ferry_responder& operator=(const ferry_responder&) = delete;

  /// Waits for the peer to close, then returns every call served. Call once the peer is done.
  const std::vector<served_call>& finish();
  /// Why the loop ended: "end of stream" after a clean close.
  const std::string& end_reason() const noexcept { return end_reason_; }

 private:
  void run();

  unique_fd fd_;
  handler answer_;
  std::vector<served_call> served_;
  std::string end_reason_;
  std::thread thread_;
};

}  // namespace ferry::interop
