// Chunked uploads and ranged reads: round trips compared by checksum, retried chunks, and a 64 MiB object
// written and read through the disk engine without the process holding it in memory.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "fixture.hpp"

using namespace ferry;
using namespace ferry::store;
using namespace ferry::store::testing;

namespace {

/// Deterministic bytes of chunk number `index`.
void fill_chunk(std::vector<xdr::byte>& chunk, std::uint64_t index) {
  std::mt19937_64 rng(index * 7919 + 1);
  for (auto& byte : chunk) byte = static_cast<xdr::byte>(rng());
}

/// FNV-1a, folded over the pieces of an object in order.
struct checksum {
  std::uint64_t value = 14695981039346656037ull;
  void add(const std::vector<xdr::byte>& bytes) {
    for (const auto byte : bytes) value = (value ^ byte) * 1099511628211ull;
  }
};

std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

/// Writes `chunks` chunks of `chunk_size` bytes; returns the checksum of what was sent.
std::uint64_t upload(engine& eng, std::string_view key, std::size_t chunk_size, std::uint64_t chunks,
                     bool retry_each_chunk) {
  const auto up = eng.write_open(b(key), v(1), chunk_size * chunks);
  REQUIRE(up.code == proto::status::ok);
  CHECK(up.chunk_size == (1u << 20));
  std::vector<xdr::byte> chunk(chunk_size);
  checksum sent;
  for (std::uint64_t i = 0; i < chunks; ++i) {
    fill_chunk(chunk, i);
    sent.add(chunk);
    const auto status = eng.write_chunk(up.upload_id, i * chunk_size, chunk);
    REQUIRE(status.code == proto::status::ok);
    // A client that lost the reply sends the chunk again: rewriting written bytes is allowed.
    if (retry_each_chunk) REQUIRE(eng.write_chunk(up.upload_id, i * chunk_size, chunk).code == proto::status::ok);
  }
  const auto done = eng.write_commit(up.upload_id, chunk_size * chunks);
  REQUIRE(done.code == proto::status::ok);
  return sent.value;
}

/// Reads the object back in `length`-byte ranges; returns the checksum and checks eof only at the end.
std::uint64_t read_back(engine& eng, std::string_view key, std::uint64_t size, std::uint32_t length) {
  checksum got;
  std::uint64_t offset = 0;
  for (bool eof = false; !eof;) {
    const auto part = eng.read(b(key), offset, length);
    REQUIRE(part.code == proto::status::ok);
    REQUIRE(part.info.size == size);
    got.add(*part.data);
    offset += part.data->size();
    eof = part.eof;
    REQUIRE(eof == (offset == size));
    REQUIRE(offset <= size);
  }
  return got.value;
}

}  // namespace

TEST_CASE("a chunked upload reads back byte for byte in ranges of any size", "[store][engine][upload]") {
  engine_under_test eng(GENERATE(both_kinds()));
  const std::size_t chunk_size = 256 * 1024;
  const auto sent = upload(*eng.eng, "blob", chunk_size, 16, true);
  const auto length = GENERATE(100000u, 256u * 1024u, 4u << 20);
  CHECK(read_back(*eng.eng, "blob", chunk_size * 16, length) == sent);
  const auto st = eng->stat(b("blob"));
  CHECK(st.info.size == chunk_size * 16);
  CHECK(st.info.ver == v(1));
}

TEST_CASE("an empty object can be uploaded and read", "[store][engine][upload]") {
  engine_under_test eng(GENERATE(both_kinds()));
  const auto up = eng->write_open(b("empty"), v(1), 0);
  REQUIRE(eng->write_commit(up.upload_id, 0).code == proto::status::ok);
  const auto got = eng->read(b("empty"), 0, 10);
  CHECK(got.code == proto::status::ok);
  CHECK(got.data->empty());
  CHECK(got.eof);
  CHECK(text(eng->get(b("empty")).data).empty());
}

TEST_CASE("a 64 MiB object streams through the disk engine in 1 MiB chunks without being held in memory",
          "[store][engine][upload]") {
  engine_under_test eng(engine_kind::disk);
  const std::size_t mib = 1 << 20;
  const std::uint64_t chunks = 64;
  const auto before = resident_bytes();
  const auto sent = upload(*eng.eng, "big", mib, chunks, false);
  const auto after_write = resident_bytes();
  INFO("resident before " << before << ", after writing " << after_write);
  CHECK(after_write < before + 16 * mib);

  CHECK(read_back(*eng.eng, "big", chunks * mib, mib) == sent);
#if !defined(__SANITIZE_ADDRESS__)  // ASan's quarantine keeps freed read buffers resident on purpose
  CHECK(resident_bytes() < before + 16 * mib);
#endif

  const auto capped = eng->read(b("big"), 0, 0xFFFFFFFFu);  // lengths are capped at one protocol chunk
  REQUIRE(capped.code == proto::status::ok);
  CHECK(capped.data->size() == proto::max_chunk);
  CHECK_FALSE(capped.eof);
  CHECK(eng->get(b("big")).code == proto::status::too_big);
  CHECK(eng->health().bytes_used == chunks * mib);
}

TEST_CASE("an aborted upload leaves nothing behind", "[store][engine][upload]") {
  const auto kind = GENERATE(both_kinds());
  engine_under_test eng(kind);
  const auto up = eng->write_open(b("k"), v(1), 3);
  REQUIRE(eng->write_chunk(up.upload_id, 0, b("abc")).code == proto::status::ok);
  REQUIRE(eng->write_abort(up.upload_id).code == proto::status::ok);
  CHECK(eng->get(b("k")).code == proto::status::not_found);
  CHECK(eng->write_abort(up.upload_id).code == proto::status::no_upload);
  if (kind == engine_kind::disk) CHECK(files_below(eng.config.dir / "uploads").empty());
  // The slot is free again.
  CHECK(eng->write_open(b("k"), v(1), 3).code == proto::status::ok);
}

TEST_CASE("chunks of a pipelined upload may arrive in any order", "[store][engine][upload]") {
  engine_under_test eng(GENERATE(both_kinds()));
  const std::size_t chunk_size = 64 * 1024;
  const std::uint64_t chunks = 12;
  const auto up = eng->write_open(b("shuffled"), v(3), chunk_size * chunks);
  REQUIRE(up.code == proto::status::ok);
  std::vector<std::uint64_t> order(chunks);
  for (std::uint64_t i = 0; i < chunks; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(5));
  std::vector<xdr::byte> chunk(chunk_size);
  for (std::size_t n = 0; n < order.size(); ++n) {
    fill_chunk(chunk, order[n]);
    REQUIRE(eng->write_chunk(up.upload_id, order[n] * chunk_size, chunk).code == proto::status::ok);
    if (n + 1 < order.size()) {
      // Not every chunk is there yet: a commit now names the first hole.
      auto early = eng->write_commit(up.upload_id, chunk_size * chunks);
      if (early.code != proto::status::bad_range) FAIL("commit before the last chunk was " << proto::to_string(early.code));
      CHECK(early.detail.find("missing") != std::string::npos);
    }
  }
  // A premature commit is refused and leaves the upload open; once every chunk is in, it succeeds.
  checksum sent;
  for (std::uint64_t i = 0; i < chunks; ++i) {
    fill_chunk(chunk, i);
    sent.add(chunk);
  }
  REQUIRE(eng->write_commit(up.upload_id, chunk_size * chunks).code == proto::status::ok);
  CHECK(read_back(*eng.eng, "shuffled", chunk_size * chunks, 100000) == sent.value);
}
