// Record marking (RFC 5531 §11): scanning stream bytes cut at every boundary, multi-fragment
// reassembly, and limits that refuse oversized records before anything is allocated.
#include "catch_xdr.hpp"

#include <cstring>
#include <vector>

#include "xdr/encoder.hpp"
#include "xdr/record.hpp"

using namespace ferry::xdr;
using bytes = std::vector<byte>;

namespace {

bytes payload_of(std::size_t n) {
  bytes p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<byte>(i % 251);
  return p;
}

}  // namespace

TEST_CASE("a single-fragment record is found and viewed in place", "[xdr][record]") {
  auto payload = payload_of(100);
  auto wire = frame_record(payload);
  REQUIRE(wire.size() == 104);
  CHECK(wire[0] == 0x80);
  auto scan = scan_record(wire);
  REQUIRE(scan);
  REQUIRE(scan->complete());
  CHECK(scan->bytes == 104);
  CHECK(scan->payload_size == 100);
  CHECK(scan->fragments == 1);
  auto view = record_payload(wire, *scan);
  CHECK(view.data() == wire.data() + 4);
  CHECK(bytes(view.begin(), view.end()) == payload);
}

TEST_CASE("records of several fragments are reassembled for every fragment size", "[xdr][record]") {
  auto payload = payload_of(1000);
  for (std::uint32_t frag : {1u, 3u, 4u, 7u, 64u, 999u, 1000u}) {
    INFO("fragment size " << frag);
    auto wire = frame_record(payload, frag);
    auto scan = scan_record(wire);
    REQUIRE(scan);
    REQUIRE(scan->complete());
    CHECK(scan->bytes == wire.size());
    CHECK(scan->fragments == (1000 + frag - 1) / frag);
    auto view = record_payload(wire, *scan);
    CHECK(bytes(view.begin(), view.end()) == payload);
  }
}

TEST_CASE("every cut of a multi-fragment stream asks for more bytes, never for less", "[xdr][record]") {
  auto payload = payload_of(50);
  auto wire = frame_record(payload, 16);  // 4 fragments
  for (std::size_t cut = 0; cut < wire.size(); ++cut) {
    INFO("cut at " << cut);
    auto scan = scan_record(bytes_view{wire.data(), cut});
    REQUIRE(scan);
    CHECK_FALSE(scan->complete());
    CHECK(scan->bytes > cut);
    CHECK(scan->bytes <= wire.size());
  }
}

TEST_CASE("a record followed by the start of the next consumes only its own bytes", "[xdr][record]") {
  auto first = frame_record(payload_of(10));
  auto second = frame_record(payload_of(20), 8);
  bytes stream = first;
  stream.insert(stream.end(), second.begin(), second.end());
  auto scan = scan_record(stream);
  REQUIRE(scan);
  REQUIRE(scan->complete());
  CHECK(scan->bytes == first.size());
  auto rest = bytes_view{stream}.subspan(scan->bytes);
  auto next = scan_record(rest);
  REQUIRE(next);
  CHECK(next->complete());
  CHECK(next->payload_size == 20);
}

TEST_CASE("a header claiming 2 GiB is refused at once", "[xdr][record]") {
  for (byte first : {byte{0x7f}, byte{0xff}}) {
    bytes wire{first, 0xff, 0xff, 0xff};
    auto scan = scan_record(wire);
    REQUIRE_FALSE(scan);
    CHECK(scan.error() == codec_error{errc::record_too_large, 0});
  }
}

TEST_CASE("the record size cap counts all fragments together", "[xdr][record]") {
  record_limits limits{.max_record_size = 100, .max_fragments = 1024};
  auto ok = frame_record(payload_of(100), 30);
  auto scan_ok = scan_record(ok, limits);
  REQUIRE(scan_ok);
  CHECK(scan_ok->complete());
  auto too_big = frame_record(payload_of(101), 30);
  auto scan = scan_record(too_big, limits);
  REQUIRE_FALSE(scan);
  CHECK(scan.error() == codec_error{errc::record_too_large, 3 * 34});
}

TEST_CASE("too many fragments are refused", "[xdr][record]") {
  record_limits limits{.max_record_size = 1 << 20, .max_fragments = 4};
  auto wire = frame_record(payload_of(5), 1);
  auto scan = scan_record(wire, limits);
  REQUIRE_FALSE(scan);
  CHECK(scan.error().code == errc::too_many_fragments);
  // Empty non-last fragments count too: a peer cannot stream headers forever.
  bytes empties;
  for (int i = 0; i < 10; ++i) empties.insert(empties.end(), {0, 0, 0, 0});
  auto scan_empty = scan_record(empties, limits);
  REQUIRE_FALSE(scan_empty);
  CHECK(scan_empty.error().code == errc::too_many_fragments);
}

TEST_CASE("an empty last fragment ends a record", "[xdr][record]") {
  bytes wire{0, 0, 0, 2, 'h', 'i', 0x80, 0, 0, 0};
  auto scan = scan_record(wire);
  REQUIRE(scan);
  REQUIRE(scan->complete());
  CHECK(scan->payload_size == 2);
  auto view = record_payload(wire, *scan);
  CHECK(as_chars(view) == "hi");
}

TEST_CASE("the encoder's record framing matches frame_record", "[xdr][record]") {
  encoder e;
  e.begin_record();
  e.u32(1);
  e.string("abc");
  e.end_record();
  auto wire = e.flatten();
  encoder body;
  body.u32(1);
  body.string("abc");
  CHECK(wire == frame_record(body.flatten()));
}

// ---- record_skipper: a record followed through the stream without being kept ----

namespace {

/// Feeds `stream` to a skipper in pieces of `piece` bytes; returns the bytes it took (stops when done).
std::size_t skip_in_pieces(record_skipper& s, const bytes& stream, std::size_t piece) {
  std::size_t pos = 0;
  while (pos < stream.size() && !s.done()) {
    const auto n = std::min(piece, stream.size() - pos);
    auto took = s.feed(bytes_view{stream.data() + pos, n});
    REQUIRE(took);
    REQUIRE(*took <= n);
    pos += *took;
    if (*took < n) REQUIRE(s.done());
  }
  return pos;
}

}  // namespace

TEST_CASE("a skipped record keeps its head, counts its payload and ends exactly at its last byte, in any pieces",
          "[xdr][record][skip]") {
  const auto payload = payload_of(3000);
  auto stream = frame_record(payload, 700);  // five fragments
  const auto record_bytes = stream.size();
  const bytes next = frame_record(payload_of(10));
  stream.insert(stream.end(), next.begin(), next.end());
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{4}, std::size_t{5}, std::size_t{699},
                            std::size_t{704}, std::size_t{4096}}) {
    INFO("piece " << piece);
    record_skipper s({}, 1024);
    CHECK(skip_in_pieces(s, stream, piece) == record_bytes);  // the next record's bytes are left alone
    CHECK(s.done());
    CHECK(s.payload_size() == payload.size());
    CHECK(bytes(s.head().begin(), s.head().end()) == bytes(payload.begin(), payload.begin() + 1024));
  }
}

TEST_CASE("a skipped record shorter than the head capacity is kept whole", "[xdr][record][skip]") {
  const auto payload = payload_of(40);
  const auto stream = frame_record(payload, 16);
  record_skipper s({}, 1024);
  CHECK(skip_in_pieces(s, stream, 2) == stream.size());
  CHECK(bytes(s.head().begin(), s.head().end()) == payload);
}

TEST_CASE("a skipped record is held to the same limits as a scanned one", "[xdr][record][skip]") {
  SECTION("the size cap counts all fragments together") {
    record_skipper s({100, 1024}, 16);
    auto stream = frame_record(payload_of(101), 60);
    auto took = s.feed(stream);
    REQUIRE_FALSE(took);
    CHECK(took.error().code == errc::record_too_large);
    CHECK(took.error().offset == 64);  // the second mark
  }
  SECTION("too many fragments") {
    record_skipper s({1u << 20, 3}, 16);
    auto stream = frame_record(payload_of(40), 10);
    auto took = s.feed(stream);
    REQUIRE_FALSE(took);
    CHECK(took.error().code == errc::too_many_fragments);
  }
}
