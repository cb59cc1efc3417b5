// libferry's streaming API against the scripted peer: a 40 MiB object written in pipelined chunks (out of
// order, replies reversed), ranged reads, commit and abort, connection loss mid-upload, and fork.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "client_session.hpp"
#include "ferry.h"
#include "ferry.hpp"

using ferry::test::session;
using ferry::test::wait_child;

namespace {

constexpr std::size_t mib = 1u << 20;

/// Deterministic bytes that differ at every offset a misplaced chunk could land on.
std::string pattern(std::size_t n, std::uint32_t seed) {
  std::string out(n, '\0');
  std::uint32_t x = seed;
  for (auto& c : out) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return out;
}

int write_at(ferry_upload* u, std::size_t offset, const std::string& data, std::size_t n) {
  return ferry_upload_write(u, offset, data.data() + offset, n, nullptr);
}

}  // namespace

TEST_CASE("a 40 MiB object streams up in pipelined chunks and reads back by ranges", "[client-lib][bulk]") {
  session s;
  const std::string data = pattern(40 * mib, 7);
  const std::string key = "big/object";

  ferry_upload* u = nullptr;
  REQUIRE(ferry_upload_open(s.h, key.data(), key.size(), data.size(), &u, nullptr) == FERRY_OK);
  REQUIRE(u != nullptr);
  CHECK(ferry_upload_chunk_size(u) == mib);

  SECTION("one 40 MiB write: four chunks in flight, each batch answered newest first") {
    // The peer answers only once four chunks wait: a library sending one at a time would never finish.
    s.peer.reverse_batches_of(4);
    REQUIRE(write_at(u, 0, data, data.size()) == FERRY_OK);
    s.peer.reverse_batches_of(0);
    CHECK(s.peer.chunks_received() == 40);
  }
  SECTION("pieces written back to front, cut at odd sizes") {
    constexpr std::size_t piece = 3 * mib + 7;
    std::size_t end = data.size();
    while (end > 0) {
      std::size_t start = end > piece ? end - piece : 0;
      REQUIRE(write_at(u, start, data, end - start) == FERRY_OK);
      end = start;
    }
  }
  SECTION("the connection drops mid-write: lost chunks are sent again on a new connection") {
    REQUIRE(write_at(u, 0, data, 8 * mib) == FERRY_OK);
    s.peer.drop_calls(1);
    REQUIRE(write_at(u, 8 * mib, data, data.size() - 8 * mib) == FERRY_OK);
    CHECK(s.peer.connections() == 2);
  }

  ferry_object_info info{};
  REQUIRE(ferry_upload_commit(u, data.size(), &info, nullptr) == FERRY_OK);  // frees u
  CHECK(info.size == data.size());
  CHECK(info.version_writer == 7);
  CHECK(s.peer.open_uploads() == 0);
  REQUIRE(s.peer.stored(key) == data);  // every byte, as the peer assembled it

  std::vector<char> buf(5 * mib);
  size_t got = 0;
  int eof = -1;
  ferry_object_info rinfo{};
  for (std::size_t offset : {std::size_t{0}, mib - 3, 17 * mib + 1, 39 * mib + 5}) {
    REQUIRE(ferry_read(s.h, key.data(), key.size(), offset, buf.data(), 4096, &got, &eof, &rinfo, nullptr) ==
            FERRY_OK);
    CHECK(got == 4096);
    CHECK(eof == 0);
    CHECK(std::string(buf.data(), got) == data.substr(offset, 4096));
  }
  CHECK(rinfo.size == data.size());

  // The whole object, streamed back in buffer-sized reads until eof.
  std::string back;
  std::uint64_t offset = 0;
  for (eof = 0; eof == 0; offset += got) {
    REQUIRE(ferry_read(s.h, key.data(), key.size(), offset, buf.data(), buf.size(), &got, &eof, nullptr, nullptr) ==
            FERRY_OK);
    back.append(buf.data(), got);
  }
  CHECK(back == data);

  REQUIRE(ferry_read(s.h, key.data(), key.size(), data.size(), buf.data(), buf.size(), &got, &eof, nullptr,
                     nullptr) == FERRY_OK);
  CHECK(got == 0);
  CHECK(eof == 1);
  CHECK(ferry_read(s.h, key.data(), key.size(), data.size() + 1, buf.data(), buf.size(), &got, &eof, nullptr,
                   nullptr) == FERRY_BAD_RANGE);
  CHECK(std::string(ferry_last_detail()) == "offset past the end");
  CHECK(ferry_read(s.h, "none", 4, 0, buf.data(), buf.size(), &got, &eof, nullptr, nullptr) == FERRY_NOT_FOUND);
}

TEST_CASE("an aborted upload leaves nothing behind — a failed commit keeps the upload the caller's",
          "[client-lib][bulk]") {
  session s;
  const std::string data = pattern(3 * mib, 11);
  ferry_upload* u = nullptr;
  REQUIRE(ferry_upload_open(s.h, "k", 1, 0, &u, nullptr) == FERRY_OK);
  REQUIRE(write_at(u, 0, data, data.size()) == FERRY_OK);
  CHECK(s.peer.open_uploads() == 1);

  SECTION("abort") {
    CHECK(ferry_upload_abort(u) == FERRY_OK);
    CHECK(s.peer.open_uploads() == 0);
    std::string got;
    CHECK(s.get("k", got) == FERRY_NOT_FOUND);
  }
  SECTION("a commit whose size does not match fails; the upload is then aborted by the caller") {
    CHECK(ferry_upload_commit(u, data.size() + 1, nullptr, nullptr) == FERRY_BAD_RANGE);
    CHECK(std::string(ferry_last_detail()) == "size does not match the bytes written");
    CHECK(ferry_upload_abort(u) == FERRY_NO_UPLOAD);  // the peer dropped it at the failed commit
    CHECK(s.peer.open_uploads() == 0);
  }
  SECTION("argument checks") {
    CHECK(ferry_upload_write(u, 0, nullptr, 1, nullptr) == FERRY_E_INVALID);
    CHECK(ferry_upload_write(u, UINT64_MAX, data.data(), 2, nullptr) == FERRY_BAD_RANGE);
    CHECK(ferry_upload_write(u, 0, nullptr, 0, nullptr) == FERRY_OK);
    CHECK(ferry_upload_abort(u) == FERRY_OK);
    ferry_upload* none = reinterpret_cast<ferry_upload*>(1);
    CHECK(ferry_upload_open(s.h, "", 0, 0, &none, nullptr) == FERRY_BAD_KEY);
    CHECK(none == nullptr);
  }
}

TEST_CASE("an upload opened before fork is FERRY_E_INVALID in the child and intact in the parent",
          "[client-lib][bulk]") {
  session s;
  const std::string data = pattern(2 * mib, 3);
  ferry_upload* u = nullptr;
  REQUIRE(ferry_upload_open(s.h, "forked", 6, 0, &u, nullptr) == FERRY_OK);
  REQUIRE(write_at(u, 0, data, mib) == FERRY_OK);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    bool ok = ferry_upload_write(u, mib, data.data() + mib, mib, nullptr) == FERRY_E_INVALID &&
              ferry_upload_commit(u, data.size(), nullptr, nullptr) == FERRY_E_INVALID &&
              ferry_upload_abort(u) == FERRY_E_INVALID && ferry_put(s.h, "c", 1, "x", 1, nullptr) == FERRY_OK;
    ::_exit(ok ? 0 : 1);
  }
  CHECK(wait_child(child, std::chrono::seconds(20)) == 0);
  REQUIRE(write_at(u, mib, data, mib) == FERRY_OK);
  REQUIRE(ferry_upload_commit(u, data.size(), nullptr, nullptr) == FERRY_OK);
  CHECK(s.peer.stored("forked") == data);
}

TEST_CASE("the C++ upload commits, or aborts when dropped", "[client-lib][bulk]") {
  session s;
  auto h = ferry::client::handle::open(s.peer.path().c_str());
  REQUIRE(h);
  using ferry::client::as_bytes;
  const std::string data = pattern(mib + 100, 5);
  {
    auto up = h->open_upload(as_bytes("dropped"));
    REQUIRE(up);
    REQUIRE(up->write(0, as_bytes(data)));
    CHECK(s.peer.open_uploads() == 1);
  }  // destroyed uncommitted: aborted
  CHECK(s.peer.open_uploads() == 0);

  auto up = h->open_upload(as_bytes("kept"), data.size());
  REQUIRE(up);
  REQUIRE(up->write(100, as_bytes(std::string_view(data).substr(100))));
  REQUIRE(up->write(0, as_bytes(std::string_view(data).substr(0, 100))));
  auto info = up->commit(data.size());
  REQUIRE(info);
  CHECK(info->size == data.size());
  CHECK(!*up);
  std::vector<std::byte> buf(64);
  auto r = h->read(as_bytes("kept"), data.size() - 10, buf);
  REQUIRE(r);
  CHECK(r->size == 10);
  CHECK(r->eof);
  CHECK(std::memcmp(buf.data(), data.data() + data.size() - 10, 10) == 0);
}
