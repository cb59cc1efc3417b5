// libFuzzer target: FERRY_CLIENT / FERRY_STORE argument and result types. The first byte picks the type;
// a value that decodes must re-encode to exactly the input (XDR is canonical), else a specific error.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"
#include "xdr/protocol/store.hpp"

using namespace ferry;
using namespace ferry::xdr;

namespace {

template <class T>
void check_type(bytes_view in) {
  auto v = decode<T>(in);
  if (!v) {
    if (v.error().offset > in.size()) std::abort();
    return;
  }
  encoder e;
  if (!encode(e, *v)) std::abort();  // a decoded value always respects its bounds
  auto wire = e.flatten();
  if (wire.size() != in.size() || (!wire.empty() && std::memcmp(wire.data(), in.data(), wire.size()) != 0))
    std::abort();
}

using checker = void (*)(bytes_view);
namespace c = proto::client;
namespace s = proto::store;
constexpr checker checkers[] = {
    check_type<c::put_args>,        check_type<c::key_args>,          check_type<c::delete_args>,
    check_type<c::list_args>,       check_type<c::write_open_args>,   check_type<c::write_chunk_args>,
    check_type<c::write_commit_args>, check_type<c::write_abort_args>, check_type<c::read_args>,
    check_type<s::put_args>,        check_type<s::key_args>,          check_type<s::delete_args>,
    check_type<s::list_args>,       check_type<s::write_open_args>,   check_type<s::write_chunk_args>,
    check_type<s::write_commit_args>, check_type<s::write_abort_args>, check_type<s::read_args>,
    check_type<s::health>,          check_type<proto::reply>,         check_type<proto::write_res>,
    check_type<proto::get_res>,     check_type<proto::stat_res>,      check_type<proto::list_res>,
    check_type<proto::write_open_res>, check_type<proto::read_res>,
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  constexpr auto n = sizeof(checkers) / sizeof(checkers[0]);
  checkers[data[0] % n](bytes_view{data + 1, size - 1});
  return 0;
}
