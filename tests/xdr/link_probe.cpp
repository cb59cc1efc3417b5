// A program that uses only ferry_xdr, so its dynamic dependencies are those of the codec.
#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/record.hpp"
#include "xdr/rpc.hpp"

int main() {
  ferry::xdr::encoder e;
  e.begin_record();
  ferry::xdr::rpc::encode_call(e, {1, ferry::proto::client::program, 1, 0, {}, {}});
  e.end_record();
  auto wire = e.flatten();
  auto scan = ferry::xdr::scan_record(wire);
  return scan && scan->complete() ? 0 : 1;
}
