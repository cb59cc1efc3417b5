// ferry.hpp: a thin header-only C++20 wrapper over ferry.h: an RAII handle, std::span arguments and a
// small result<T> (value or ferry status), in the spirit of std::expected. No exceptions are thrown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry.h"

namespace ferry::client {

using bytes = std::span<const std::byte>;

inline bytes as_bytes(std::string_view s) noexcept { return std::as_bytes(std::span{s.data(), s.size()}); }

/// A status code with its message.
struct error {
  int code = FERRY_OK;
  const char* message() const noexcept { return ferry_strerror(code); }
};

/// A value or the ferry status explaining its absence.
template <class T>
class result {
 public:
  result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  result(error e) : error_(e) {}                  // NOLINT: implicit by design
  bool has_value() const noexcept { return error_.code == FERRY_OK; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return value_; }
  const T& value() const& { return value_; }
  T& operator*() & { return value_; }
  const T& operator*() const& { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  error err() const noexcept { return error_; }
  int code() const noexcept { return error_.code; }

 private:
  T value_{};
  error error_{};
};

template <>
class result<void> {
 public:
  result() = default;
  result(error e) : error_(e) {}  // NOLINT: implicit by design
  bool has_value() const noexcept { return error_.code == FERRY_OK; }
  explicit operator bool() const noexcept { return has_value(); }
  error err() const noexcept { return error_; }
  int code() const noexcept { return error_.code; }

 private:
  error error_{};
};

/// ferryd's detail text for this thread's last call ("" if none); see ferry_last_detail.
inline const char* last_detail() noexcept { return ferry_last_detail(); }

struct object {
  std::vector<std::byte> data;
  ferry_object_info info{};
};

struct list_entry {
  std::vector<std::byte> key;
  ferry_object_info info{};
};

/// One LIST page, copied out of the C page.
struct list_page {
  std::vector<list_entry> entries;
  std::vector<std::byte> next_cursor;  // pass back as `cursor` while `more`
  bool more = false;
};

/// An open chunked upload (ferry_upload): write pieces at offsets, then commit(). Destroying it, or a
/// failed commit followed by destruction, aborts it. Move-only.
class upload {
 public:
  upload() noexcept = default;
  explicit upload(ferry_upload* u) noexcept : u_(u) {}
  upload(upload&& other) noexcept : u_(std::exchange(other.u_, nullptr)) {}
  upload& operator=(upload&& other) noexcept {
    if (this != &other) {
      abort();
      u_ = std::exchange(other.u_, nullptr);
    }
    return *this;
  }
  upload(const upload&) = delete;
  upload& operator=(const upload&) = delete;
  ~upload() { abort(); }

  /// The bytes at `offset` (any order; cut into chunks and pipelined by the library).
  result<void> write(std::uint64_t offset, bytes data, const ferry_options* opts = nullptr) noexcept {
    int rc = ferry_upload_write(u_, offset, data.data(), data.size(), opts);
    return rc == FERRY_OK ? result<void>{} : result<void>{error{rc}};
  }
  /// Commits `total_size` bytes; on success the upload is done (empty).
  result<ferry_object_info> commit(std::uint64_t total_size, const ferry_options* opts = nullptr) noexcept {
    ferry_object_info info{};
    if (int rc = ferry_upload_commit(u_, total_size, &info, opts); rc != FERRY_OK) return error{rc};
    u_ = nullptr;
    return info;
  }
  /// Drops the upload at ferryd (best effort); the object is empty afterwards.
  result<void> abort() noexcept {
    if (u_ == nullptr) return {};
    int rc = ferry_upload_abort(std::exchange(u_, nullptr));
    return rc == FERRY_OK ? result<void>{} : result<void>{error{rc}};
  }
  std::uint32_t chunk_size() const noexcept { return ferry_upload_chunk_size(u_); }
  explicit operator bool() const noexcept { return u_ != nullptr; }

 private:
  ferry_upload* u_ = nullptr;
};

/// What one ranged read copied.
struct read_result {
  std::size_t size = 0;
  bool eof = false;
  ferry_object_info info{};
};

/// One libferry handle: thread-safe and fork-safe like the C handle it owns.
class handle {
 public:
  /// Empty path: $FERRY_SOCKET, else the default socket.
  static result<handle> open(const char* socket_path = nullptr) noexcept {
    ferry_t* h = nullptr;
    if (int rc = ferry_open(socket_path, &h); rc != FERRY_OK) return error{rc};
    return handle{h};
  }

  handle() noexcept = default;
  handle(handle&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  handle& operator=(handle&& other) noexcept {
    if (this != &other) {
      ferry_close(h_);
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;
  ~handle() { ferry_close(h_); }

  ferry_t* native() const noexcept { return h_; }

  result<void> put(bytes key, bytes value, const ferry_options* opts = nullptr) noexcept {
    return status(ferry_put(h_, key.data(), key.size(), value.data(), value.size(), opts));
  }
  /// Copies into `buf`; the result is the value's size (FERRY_E_BUFFER_TOO_SMALL: see size_needed()).
  result<std::size_t> get(bytes key, std::span<std::byte> buf, ferry_object_info* info = nullptr,
                          const ferry_options* opts = nullptr) noexcept {
    std::size_t n = 0;
    int rc = ferry_get(h_, key.data(), key.size(), buf.data(), buf.size(), &n, info, opts);
    last_size_ = n;
    if (rc != FERRY_OK) return error{rc};
    return n;
  }
  /// The size reported by the last get() (the size needed after FERRY_E_BUFFER_TOO_SMALL).
  std::size_t size_needed() const noexcept { return last_size_; }

  result<object> get(bytes key, const ferry_options* opts = nullptr) {
    void* p = nullptr;
    std::size_t n = 0;
    object out;
    int rc = ferry_get_alloc(h_, key.data(), key.size(), &p, &n, &out.info, opts);
    if (rc != FERRY_OK) return error{rc};
    std::unique_ptr<void, decltype(&ferry_free)> owned{p, &ferry_free};
    auto* first = static_cast<const std::byte*>(p);
    out.data.assign(first, first + n);
    return out;
  }
  result<void> del(bytes key, const ferry_options* opts = nullptr) noexcept {
    return status(ferry_delete(h_, key.data(), key.size(), opts));
  }
  result<ferry_object_info> stat(bytes key, const ferry_options* opts = nullptr) noexcept {
    ferry_object_info info{};
    if (int rc = ferry_stat(h_, key.data(), key.size(), &info, opts); rc != FERRY_OK) return error{rc};
    return info;
  }
  /// Opens a chunked upload of `key` (size_hint 0: unknown).
  result<upload> open_upload(bytes key, std::uint64_t size_hint = 0, const ferry_options* opts = nullptr) noexcept {
    ferry_upload* u = nullptr;
    if (int rc = ferry_upload_open(h_, key.data(), key.size(), size_hint, &u, opts); rc != FERRY_OK)
      return error{rc};
    return upload{u};
  }
  /// Up to buf.size() bytes of the object from `offset` into buf.
  result<read_result> read(bytes key, std::uint64_t offset, std::span<std::byte> buf,
                           const ferry_options* opts = nullptr) noexcept {
    read_result out;
    int eof = 0;
    int rc = ferry_read(h_, key.data(), key.size(), offset, buf.data(), buf.size(), &out.size, &eof, &out.info, opts);
    if (rc != FERRY_OK) return error{rc};
    out.eof = eof != 0;
    return out;
  }
  /// The async API's readiness descriptor (see ferry_fd) and completion step (see ferry_process); submit
  /// with the C functions on native().
  int fd() const noexcept { return ferry_fd(h_); }
  int process() noexcept { return ferry_process(h_); }

  /// One page of the keys starting with `prefix`, after `cursor` (empty: from the first); limit 0: ferryd's.
  result<list_page> list(bytes prefix, bytes cursor = {}, std::uint32_t limit = 0,
                         const ferry_options* opts = nullptr) {
    ferry_list_page* p = nullptr;
    int rc = ferry_list(h_, prefix.data(), prefix.size(), cursor.data(), cursor.size(), limit, &p, opts);
    if (rc != FERRY_OK) return error{rc};
    std::unique_ptr<ferry_list_page, decltype(&ferry_list_free)> owned{p, &ferry_list_free};
    list_page out;
    out.entries.resize(ferry_list_count(p));
    for (std::size_t i = 0; i < out.entries.size(); ++i) {
      std::size_t n = 0;
      auto* first = static_cast<const std::byte*>(ferry_list_key(p, i, &n));
      out.entries[i].key.assign(first, first + n);
      out.entries[i].info = *ferry_list_info(p, i);
    }
    std::size_t n = 0;
    auto* cur = static_cast<const std::byte*>(ferry_list_next_cursor(p, &n));
    out.next_cursor.assign(cur, cur + n);
    out.more = ferry_list_more(p) != 0;
    return out;
  }

 private:
  explicit handle(ferry_t* h) noexcept : h_(h) {}
  static result<void> status(int rc) noexcept { return rc == FERRY_OK ? result<void>{} : result<void>{error{rc}}; }
  ferry_t* h_ = nullptr;
  std::size_t last_size_ = 0;
};

}  // namespace ferry::client
