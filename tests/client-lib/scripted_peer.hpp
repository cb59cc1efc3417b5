// A scripted FERRY_CLIENT peer standing in for ferryd: an AF_UNIX listener speaking the real protocol
// through ferry's xdr codec, with knobs to reorder, hold, drop or corrupt replies. One thread a connection.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "xdr/protocol/common.hpp"

namespace ferry::test {

/// A temporary directory removed with everything in it.
struct temp_dir {
  temp_dir();
  ~temp_dir();
  std::string path;
};

enum class garbage {
  short_record,  // a 3-byte record: no xid, no message type
  huge_mark,     // a record mark claiming 2 GiB
  bad_results,   // a well-formed reply to the call whose results are an invalid status
  list_truncated,  // a LIST reply whose page claims 3 entries and holds 1
};

struct seen_call {
  std::uint32_t proc;
  std::string key;
  proto::request_id id;
};

class scripted_peer {
 public:
  explicit scripted_peer(std::string path);
  ~scripted_peer();
  scripted_peer(const scripted_peer&) = delete;
  scripted_peer& operator=(const scripted_peer&) = delete;

  const std::string& path() const { return path_; }

  /// Gathers calls (up to 8, or 20 ms) and answers each batch newest first.
  void reorder(bool on) { reorder_ = on; }
  /// Replies are kept back until n of them are gathered, then sent newest first (0: off).
  void reverse_batches_of(std::size_t n) { reverse_batch_ = n; }
  /// Replies to calls on `key` are kept back until release_held(), then sent before the next reply.
  void hold(std::string key);
  void release_held() { release_ = true; }
  /// The next n calls close their connection unanswered.
  void drop_calls(int n) { drops_ = n; }
  /// The next call is answered with garbage.
  void send_garbage(garbage g);
  /// Closes every connection now, as a restarting ferryd would.
  void close_all();
  /// PUT values above this get TOO_BIG.
  void max_value(std::size_t n) { max_value_ = n; }
  /// LIST pages hold at most this many entries when the call's limit is 0 (or larger).
  void list_page_size(std::uint32_t n) { list_page_size_ = n; }
  /// The chunk size WRITE_OPEN offers.
  void chunk_size(std::uint32_t n) { chunk_size_ = n; }
  /// The next call is answered with `code` and `detail` (in its result's detail arm, where it has one).
  void fail_next(proto::status code, std::string detail);

  std::vector<pid_t> peer_pids();
  std::vector<seen_call> calls();
  /// The argument bytes of every LIST call, exactly as they arrived.
  std::vector<std::vector<std::uint8_t>> list_args();
  /// The value stored under `key` ("" if none), for checking what a client sent.
  std::string stored(const std::string& key);
  /// Uploads opened and neither committed nor aborted.
  std::size_t open_uploads();
  /// WRITE_CHUNK calls received.
  int chunks_received() { return chunks_; }
  int connections() { return connections_; }
  int replies_out_of_order() { return out_of_order_; }
  int held_sent() { return held_sent_; }

 private:
  void accept_loop();
  void serve(int fd);
  std::vector<std::uint8_t> answer(std::uint32_t xid, std::uint32_t proc, std::span<const std::uint8_t> args);

  std::string path_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> reorder_{false};
  std::atomic<bool> release_{false};
  std::atomic<int> drops_{0};
  std::atomic<int> connections_{0};
  std::atomic<int> out_of_order_{0};
  std::atomic<int> held_sent_{0};
  std::atomic<std::size_t> max_value_{1u << 20};
  std::atomic<std::uint32_t> list_page_size_{100};
  std::atomic<std::size_t> reverse_batch_{0};
  std::atomic<std::uint32_t> chunk_size_{1u << 20};
  std::atomic<int> chunks_{0};

  /// An upload in the peer's object model: bytes land at their offsets; COMMIT checks the total.
  struct upload {
    std::string key;
    std::string data;
    std::map<std::uint64_t, std::uint64_t> chunks;  // offset -> length: a resent chunk counts once
  };

  std::mutex mu_;  // everything below
  std::map<std::string, std::string> store_;
  std::map<std::uint64_t, upload> uploads_;
  std::uint64_t next_upload_ = 0x5eed0000;
  std::uint64_t hlc_ = 0;
  std::set<std::string> held_keys_;
  std::vector<std::vector<std::uint8_t>> held_replies_;
  int garbage_kind_ = -1;
  std::optional<std::pair<proto::status, std::string>> fail_next_;
  std::vector<std::vector<std::uint8_t>> list_args_;
  std::vector<pid_t> pids_;
  std::vector<seen_call> calls_;
  std::set<int> fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace ferry::test
