// The responder loop: record_reader -> decode_call -> handler -> one-fragment reply record.
// It ends at end of stream; the destructor shuts the socket down first so a failed test cannot hang it.
#include "ferry_responder.hpp"

#include <sys/socket.h>

namespace ferry::interop {

ferry_responder::ferry_responder(unique_fd connection, handler answer)
    : fd_(std::move(connection)), answer_(std::move(answer)) {
  thread_ = std::thread{[this] { run(); }};
}

void ferry_responder::run() {
  record_reader reader{fd_.get()};
  while (auto record = reader.next()) {
    auto call = xdr::rpc::decode_call(record->payload());
    served_.push_back(served_call{std::move(*record)});
    if (!call) {
      end_reason_ = "decode_call: " + xdr::describe(call.error());
      return;
    }
    xdr::encoder reply;
    reply.begin_record();
    answer_(*call, reply);
    reply.end_record();
    if (!write_all(fd_.get(), reply.views())) {
      end_reason_ = "write failed";
      return;
    }
  }
  end_reason_ = reader.error();
}

const std::vector<served_call>& ferry_responder::finish() {
  if (thread_.joinable()) thread_.join();
  return served_;
}

ferry_responder::~ferry_responder() {
  if (thread_.joinable()) {
    ::shutdown(fd_.get(), SHUT_RDWR);  // unblocks a read the peer will never satisfy
    thread_.join();
  }
}

}  // namespace ferry::interop
