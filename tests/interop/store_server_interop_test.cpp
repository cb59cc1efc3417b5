// The real ferry-store answering rpcgen's libtirpc client stubs for FERRY_STORE, as a C program would
// call it: clnttcp_create straight to the announced loopback port, every procedure, records that
// libtirpc splits into 64 KiB fragments, and the error statuses a client has to handle.
#include <catch2/catch.hpp>
#include <string_view>

#include "store_process.hpp"
#include "store_c_values.hpp"
#include "tirpc_client_handle.hpp"
#include "wire_support.hpp"

namespace ferry::interop {
namespace {

using namespace store_c;

constexpr std::size_t one_mib = std::size_t{1} << 20;

TEST_CASE("a libtirpc client calls every FERRY_STORE procedure on a running ferry-store", "[interop][store][server]") {
  ignore_sigpipe();
  auto store = test::start_store(FERRY_STORE_BIN, {"--memory", "--node", "interop-store"});
  auto client = client_handle::loopback_tcp(store.port, FERRY_STORE_PROG, FERRY_STORE_V1);
  CLIENT* clnt = client.get();
  CHECK(client.server_port() == store.port);

  REQUIRE(rpc_error(fs_null_1(nullptr, clnt)) == "");

  decoded<fs_health> health{xdr_fs_health};
  REQUIRE(rpc_error(fs_health_1(health.fresh(), clnt)) == "");
  CHECK(health->objects == 0);
  CHECK(health->bytes_used == 0);
  CHECK(text(health->node) == "interop-store");

  // PUT and GET: 70001 bytes is past libtirpc's 64 KiB fragment size, with 3 bytes of XDR padding.
  const ferry_version first{1'700'000'000'000'000'001u, 7};
  const auto value = pattern(70'001, 11);
  decoded<ferry_write_res> written{xdr_ferry_write_res};
  for (std::string_view key : {"interop/a", "interop/b", "other"}) {
    fs_put_args put{key_of(key), {c_length(value.size()), c_chars(value)}, first};
    INFO("PUT " << key);
    REQUIRE(rpc_error(fs_put_1(put, written.fresh(), clnt)) == "");
    REQUIRE(written->status == FERRY_OK);
    CHECK(text(written->ferry_write_res_u.ver) == text(first));
  }

  decoded<ferry_get_res> got{xdr_ferry_get_res};
  REQUIRE(rpc_error(fs_get_1(fs_key_args{key_of("interop/a")}, got.fresh(), clnt)) == "");
  REQUIRE(got->status == FERRY_OK);
  const auto& stored = got->ferry_get_res_u.value;
  CHECK(byte_difference(bytes_of(stored.data.data_val, stored.data.data_len), value) == "");
  CHECK(stored.info.size == value.size());
  CHECK(text(stored.info.ver) == text(first));
  CHECK(stored.info.mtime_ns > 0);

  decoded<ferry_stat_res> stat{xdr_ferry_stat_res};
  REQUIRE(rpc_error(fs_stat_1(fs_key_args{key_of("interop/b")}, stat.fresh(), clnt)) == "");
  REQUIRE(stat->status == FERRY_OK);
  CHECK(stat->ferry_stat_res_u.info.size == value.size());
  CHECK(text(stat->ferry_stat_res_u.info.ver) == text(first));

  REQUIRE(rpc_error(fs_health_1(health.fresh(), clnt)) == "");
  CHECK(health->objects == 3);
  CHECK(health->bytes_used == 3 * value.size());

  SECTION("LIST pages through a prefix with the cursor it returns") {
    decoded<ferry_list_res> listed{xdr_ferry_list_res};
    std::string_view prefix = "interop/";
    fs_list_args first_page{{c_length(prefix.size()), c_chars(prefix)}, {0, nullptr}, 1};
    REQUIRE(rpc_error(fs_list_1(first_page, listed.fresh(), clnt)) == "");
    REQUIRE(listed->status == FERRY_OK);
    const auto& page = listed->ferry_list_res_u.page;
    REQUIRE(page.entries.entries_len == 1);
    const auto& entry = page.entries.entries_val[0];
    CHECK(text(entry.key.ferry_key_val, entry.key.ferry_key_len) == "interop/a");
    CHECK(entry.info.size == value.size());
    CHECK(text(entry.info.ver) == text(first));
    CHECK(page.more);
    const auto cursor = text(page.next_cursor.next_cursor_val, page.next_cursor.next_cursor_len);
    CHECK(cursor == "interop/a");

    fs_list_args rest{{c_length(prefix.size()), c_chars(prefix)}, {c_length(cursor.size()), c_chars(cursor)}, 10};
    REQUIRE(rpc_error(fs_list_1(rest, listed.fresh(), clnt)) == "");
    REQUIRE(listed->status == FERRY_OK);
    const auto& last = listed->ferry_list_res_u.page;
    REQUIRE(last.entries.entries_len == 1);
    CHECK(text(last.entries.entries_val[0].key.ferry_key_val, last.entries.entries_val[0].key.ferry_key_len) ==
          "interop/b");
    CHECK_FALSE(last.more);
  }

  SECTION("DELETE leaves a tombstone that GET and STAT report as NOT_FOUND") {
    const ferry_version deleted{first.hlc + 1, 7};
    REQUIRE(rpc_error(fs_delete_1(fs_delete_args{key_of("interop/a"), deleted}, written.fresh(), clnt)) == "");
    REQUIRE(written->status == FERRY_OK);
    CHECK(text(written->ferry_write_res_u.ver) == text(deleted));

    REQUIRE(rpc_error(fs_get_1(fs_key_args{key_of("interop/a")}, got.fresh(), clnt)) == "");
    REQUIRE(got->status == FERRY_NOT_FOUND);
    CHECK(text(got->ferry_get_res_u.tombstone) == text(deleted));

    REQUIRE(rpc_error(fs_stat_1(fs_key_args{key_of("interop/a")}, stat.fresh(), clnt)) == "");
    REQUIRE(stat->status == FERRY_NOT_FOUND);
    CHECK(text(stat->ferry_stat_res_u.tombstone) == text(deleted));

    REQUIRE(rpc_error(fs_get_1(fs_key_args{key_of("never written")}, got.fresh(), clnt)) == "");
    REQUIRE(got->status == FERRY_NOT_FOUND);
    CHECK(text(got->ferry_get_res_u.tombstone) == text(ferry_version{0, 0}));
  }

  SECTION("a chunked upload of more than 1 MiB reads back whole and by range") {
    // Chunk 1 alone is 1 MiB + 5 bytes: libtirpc sends it as 17 record fragments, and ferry-store's
    // READ reply of the whole object comes back as one record libtirpc has to reassemble.
    const auto object = pattern(one_mib + 5 + 300'002, 23);
    const bytes_view whole{object};
    const auto chunk_1 = whole.first(one_mib + 5);
    const auto chunk_2 = whole.subspan(chunk_1.size());
    const ferry_version ver{first.hlc + 10, 9};

    decoded<ferry_write_open_res> opened{xdr_ferry_write_open_res};
    fs_write_open_args open{key_of("interop/big"), ver, object.size()};
    REQUIRE(rpc_error(fs_write_open_1(open, opened.fresh(), clnt)) == "");
    REQUIRE(opened->status == FERRY_OK);
    const auto upload_id = opened->ferry_write_open_res_u.upload.upload_id;
    CHECK(opened->ferry_write_open_res_u.upload.chunk_size > 0);

    decoded<ferry_reply> chunk_reply{xdr_ferry_reply};
    fs_write_chunk_args first_chunk{upload_id, 0, {c_length(chunk_1.size()), c_chars(chunk_1)}};
    fs_write_chunk_args second_chunk{upload_id, chunk_1.size(), {c_length(chunk_2.size()), c_chars(chunk_2)}};
    for (const auto& chunk : {first_chunk, second_chunk}) {
      INFO("WRITE_CHUNK at offset " << chunk.offset);
      REQUIRE(rpc_error(fs_write_chunk_1(chunk, chunk_reply.fresh(), clnt)) == "");
      CHECK(chunk_reply->status == FERRY_OK);
    }
    REQUIRE(rpc_error(fs_write_commit_1(fs_write_commit_args{upload_id, object.size()}, written.fresh(), clnt)) == "");
    REQUIRE(written->status == FERRY_OK);
    CHECK(text(written->ferry_write_res_u.ver) == text(ver));

    decoded<ferry_read_res> read{xdr_ferry_read_res};
    fs_read_args everything{key_of("interop/big"), 0, c_length(object.size())};
    REQUIRE(rpc_error(fs_read_1(everything, read.fresh(), clnt)) == "");
    REQUIRE(read->status == FERRY_OK);
    const auto& chunk = read->ferry_read_res_u.chunk;
    CHECK(byte_difference(bytes_of(chunk.data.data_val, chunk.data.data_len), object) == "");
    CHECK(chunk.info.size == object.size());
    CHECK(text(chunk.info.ver) == text(ver));
    CHECK(chunk.eof);

    fs_read_args middle{key_of("interop/big"), one_mib, 4099};
    REQUIRE(rpc_error(fs_read_1(middle, read.fresh(), clnt)) == "");
    REQUIRE(read->status == FERRY_OK);
    const auto& range = read->ferry_read_res_u.chunk;
    CHECK(byte_difference(bytes_of(range.data.data_val, range.data.data_len), whole.subspan(one_mib, 4099)) == "");
    CHECK_FALSE(range.eof);

    // The committed upload is gone: aborting it now is the same as aborting an id never handed out.
    decoded<ferry_reply> aborted{xdr_ferry_reply};
    for (auto unknown : {upload_id, upload_id + 1000}) {
      INFO("WRITE_ABORT of upload " << unknown);
      REQUIRE(rpc_error(fs_write_abort_1(fs_write_abort_args{unknown}, aborted.fresh(), clnt)) == "");
      CHECK(aborted->status == FERRY_NO_UPLOAD);
      CHECK(aborted->ferry_reply_u.detail != nullptr);
    }
  }

  SECTION("an older version loses with CONFLICT and the stored version") {
    const ferry_version older{first.hlc - 1, 99};
    fs_put_args stale{key_of("interop/b"), {c_length(value.size()), c_chars(value)}, older};
    REQUIRE(rpc_error(fs_put_1(stale, written.fresh(), clnt)) == "");
    REQUIRE(written->status == FERRY_CONFLICT);
    CHECK(text(written->ferry_write_res_u.ver) == text(first));

    fs_delete_args stale_delete{key_of("interop/b"), older};
    REQUIRE(rpc_error(fs_delete_1(stale_delete, written.fresh(), clnt)) == "");
    REQUIRE(written->status == FERRY_CONFLICT);
    CHECK(text(written->ferry_write_res_u.ver) == text(first));

    REQUIRE(rpc_error(fs_get_1(fs_key_args{key_of("interop/b")}, got.fresh(), clnt)) == "");
    REQUIRE(got->status == FERRY_OK);
    CHECK(text(got->ferry_get_res_u.value.info.ver) == text(first));
  }

  // Still answering after every section's calls: nothing above broke the connection.
  CHECK(rpc_error(fs_null_1(nullptr, clnt)) == "");
}

}  // namespace
}  // namespace ferry::interop
