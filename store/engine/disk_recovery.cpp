// Recovery walks DIR/objects/<2 hex>/<2 hex>/<64 hex>. A file that fails any check (header, checksum,
// name = SHA-256 of its key, length) moves to DIR/quarantine/ with a line in the report; the start goes on.
#include "store/engine/disk_recovery.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "store/engine/key_digest.hpp"
#include "store/engine/object_header.hpp"

namespace ferry::store::detail {
namespace {

namespace fs = std::filesystem;

bool is_hex_name(const std::string& name, std::size_t length) {
  return name.size() == length && name.find_first_not_of("0123456789abcdef") == std::string::npos;
}

/// Reads and checks one object file; the header when it is sound, else why not.
decoded_header inspect(const fs::path& file, const std::string& expected_digest) {
  unique_fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {{}, std::string("cannot open: ") + std::strerror(errno)};
  std::vector<xdr::byte> head(header_max_size);
  std::size_t got = 0;
  if (auto done = read_at(fd.get(), head, 0, file, got); !done.ok()) return {{}, done.detail};
  auto decoded = decode_header(xdr::bytes_view(head.data(), got));
  if (!decoded.header) return decoded;
  if (key_digest(decoded.header->key) != expected_digest) return {{}, "file name is not the SHA-256 of its key"};
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return {{}, std::string("cannot stat: ") + std::strerror(errno)};
  const auto expected_size = header_size(decoded.header->key.size()) + decoded.header->info.size;
  if (static_cast<std::uint64_t>(st.st_size) != expected_size) {
    return {{}, "truncated or overlong: " + std::to_string(st.st_size) + " bytes, header says " +
                    std::to_string(expected_size)};
  }
  return decoded;
}

class object_scan {
 public:
  explicit object_scan(const disk_layout& layout) : layout_(layout) {}

  std::variant<recovered_store, std::string> run(std::unique_ptr<disk_store> store) {
    recovered_store result;
    result.store = std::move(store);
    for (const auto& level1 : children(layout_.objects())) {
      if (!expect_folder(level1)) continue;
      for (const auto& level2 : children(level1.path())) {
        if (!expect_folder(level2)) continue;
        for (const auto& file : children(level2.path())) index_file(file, result);
      }
    }
    if (!failure_.empty()) return failure_;
    result.report = std::move(report_);
    return result;
  }

 private:
  std::vector<fs::directory_entry> children(const fs::path& dir) {
    std::vector<fs::directory_entry> found;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) found.push_back(*it);
    if (ec && failure_.empty()) failure_ = "cannot list " + dir.string() + ": " + ec.message();
    return found;
  }

  bool expect_folder(const fs::directory_entry& entry) {
    std::error_code ec;
    if (entry.is_directory(ec) && is_hex_name(entry.path().filename().string(), 2)) return true;
    quarantine(entry.path(), "unexpected entry in the objects tree");
    return false;
  }

  void index_file(const fs::directory_entry& entry, recovered_store& result) {
    const auto name = entry.path().filename().string();
    const auto folders = entry.path().parent_path().parent_path().filename().string() +
                         entry.path().parent_path().filename().string();
    std::error_code ec;
    if (!entry.is_regular_file(ec) || !is_hex_name(name, 64) || name.substr(0, 4) != folders) {
      quarantine(entry.path(), "unexpected entry in the objects tree");
      return;
    }
    auto decoded = inspect(entry.path(), name);
    if (!decoded.header) {
      quarantine(entry.path(), decoded.problem);
      return;
    }
    auto& header = *decoded.header;
    ++(header.tombstone ? report_.tombstones : report_.objects);
    result.entries.push_back({std::move(header.key), {header.info, header.tombstone}});
  }

  // Moved aside rather than deleted: the bytes may still matter to an operator, and out of the objects
  // tree they can neither be served nor reported again at the next start.
  void quarantine(const fs::path& path, const std::string& reason) {
    const auto relative = path.lexically_relative(layout_.objects());
    auto line = relative.string() + ": " + reason;
    std::error_code ec;
    fs::create_directories(layout_.quarantine(), ec);
    auto flat = relative.string();
    for (auto& c : flat) c = c == '/' ? '-' : c;
    if (!ec) fs::rename(path, layout_.quarantine() / flat, ec);
    if (ec) line += " (left in place: " + ec.message() + ")";
    report_.quarantined.push_back(std::move(line));
  }

  const disk_layout& layout_;
  recovery_report report_;
  std::string failure_;
};

std::string prepare(const disk_layout& layout, bool fsync, std::uint64_t& removed) {
  std::error_code ec;
  for (const auto& dir : {layout.objects(), layout.temp(), layout.uploads()}) {
    if (auto done = make_directory(dir, fsync); !done.ok()) return done.detail;
  }
  // Anything in tmp/ or uploads/ belongs to a write that was never acknowledged (or to an upload whose
  // id died with the previous process): it can never be committed now.
  for (const auto& dir : {layout.temp(), layout.uploads()}) {
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code rm;
      fs::remove_all(it->path(), rm);
      if (rm) return "cannot remove leftover " + it->path().string() + ": " + rm.message();
      ++removed;
    }
    if (ec) return "cannot list " + dir.string() + ": " + ec.message();
  }
  return {};
}

}  // namespace

std::variant<recovered_store, std::string> recover_disk_store(const engine_config& config) {
  const disk_layout layout{config.dir};
  std::error_code ec;
  fs::create_directories(layout.root, ec);
  if (ec) return "cannot create data directory " + layout.root.string() + ": " + ec.message();
  // Two stores on one directory would delete each other's temp files and race on every key.
  unique_fd lock(::open(layout.lock_file().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock) return "cannot open " + layout.lock_file().string() + ": " + std::strerror(errno);
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    return errno == EWOULDBLOCK ? layout.root.string() + " is in use by another store (" +
                                      layout.lock_file().string() + " is locked)"
                                : "cannot lock " + layout.lock_file().string() + ": " + std::strerror(errno);
  }
  std::uint64_t removed = 0;
  if (auto problem = prepare(layout, config.fsync, removed); !problem.empty()) return problem;
  auto scanned = object_scan(layout).run(std::make_unique<disk_store>(layout, config.fsync, std::move(lock)));
  if (auto* ok = std::get_if<recovered_store>(&scanned)) ok->report.leftovers_removed = removed;
  return scanned;
}

}  // namespace ferry::store::detail
