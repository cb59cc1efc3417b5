// Plumbing under both codecs in the interop tests: connected sockets, record-marked reads and writes,
// and byte diffs that point at the first differing byte. Knows no ferry program and no Catch2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xdr/bytes.hpp"
#include "xdr/record.hpp"

namespace ferry::interop {

using xdr::byte;
using xdr::bytes_view;

/// Owns a file descriptor; closes it unless release()d (libtirpc takes some descriptors over).
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept;
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd();

  int get() const noexcept { return fd_; }
  int release() noexcept;
  void reset() noexcept;

 private:
  int fd_ = -1;
};

/// Both stream transports ferry speaks ONC RPC over. libtirpc picks its fragment size from the
/// transport (64 KiB on TCP, 9000 bytes otherwise), so each one exercises reassembly differently.
enum class transport { loopback_tcp, unix_socketpair };
std::string_view to_string(transport t) noexcept;
inline constexpr transport all_transports[] = {transport::loopback_tcp, transport::unix_socketpair};

/// Two connected stream sockets: a loopback TCP connection (through a listener on 127.0.0.1, port 0,
/// closed once accepted) or an AF_UNIX socketpair, which needs no path on disk.
struct connected_sockets {
  unique_fd ours;
  unique_fd theirs;
};
connected_sockets connect_pair(transport t);

/// libtirpc writes with write(2): a peer that has gone away must fail the write, not kill the process.
void ignore_sigpipe();

/// Writes every byte of every segment; false on error (errno says why).
bool write_all(int fd, const std::vector<bytes_view>& segments);
bool write_all(int fd, bytes_view bytes);

/// One complete record as it came off the stream, with its payload reassembled in place.
struct received_record {
  std::vector<byte> storage;       // the record's stream bytes (marks included), then compacted
  std::size_t payload_offset = 0;  // into storage
  std::size_t payload_size = 0;
  std::uint32_t fragments = 0;

  bytes_view payload() const noexcept { return {storage.data() + payload_offset, payload_size}; }
};

/// Reads records from a stream socket with ferry's scan_record / record_payload. Bytes after a record
/// stay buffered for the next one.
class record_reader {
 public:
  explicit record_reader(int fd, xdr::record_limits limits = {}) noexcept : fd_(fd), limits_(limits) {}

  /// The next record; nullopt at end of stream or on an error, which error() then describes.
  std::optional<received_record> next();
  const std::string& error() const noexcept { return error_; }

 private:
  int fd_;
  xdr::record_limits limits_;
  std::vector<byte> buffer_;
  std::string error_;
};

/// "" when equal; otherwise the lengths and the first differing byte with some context, in hex.
std::string byte_difference(bytes_view ours, bytes_view theirs);
/// Up to max bytes as "00 01 ff ...", for failure messages.
std::string hex(bytes_view bytes, std::size_t max = 48);

/// Deterministic filler bytes (no zero bytes, so a lost or shifted byte never hides in padding).
std::vector<byte> pattern(std::size_t size, byte seed);

}  // namespace ferry::interop
