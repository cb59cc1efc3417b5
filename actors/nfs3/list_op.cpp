// FERRY_STORE LIST on NFS: the fan-out hides key order, so a page reads every fan-out directory
// (READDIRPLUS, all directories in flight at once), keeps the smallest matching keys and sorts them.
// Cost: O(objects in the export) NFS traffic per page; see README.md.
#include <algorithm>

#include "actors/nfs3/detail/backend_state.hpp"
#include "actors/nfs3/version_time.hpp"

namespace ferry::actors::nfs3_detail {

namespace {

constexpr std::uint32_t default_limit = 1000;  // as ferry-store
constexpr std::uint32_t dir_bytes = 8192;      // READDIRPLUS dircount
constexpr std::uint32_t max_reply = 65536;     // READDIRPLUS maxcount
constexpr unsigned max_pages = 1u << 20;       // per directory: a server that never says eof is an error

struct found {
  std::string key;
  proto::object_info info;
};

struct list_run {
  std::string prefix, cursor;
  std::uint32_t limit = default_limit;
  std::vector<found> hits;
  std::size_t dirs_left = 0;

  bool wanted(const std::string& key) const {
    if (key.compare(0, prefix.size(), prefix) != 0) return false;
    return cursor.empty() || cursor < prefix || key > cursor;
  }
  // Keeps memory near 2 * limit: only the limit + 1 smallest keys can be in the page or decide `more`.
  void trim() {
    if (hits.size() <= 2 * std::size_t{limit} + 1024) return;
    std::nth_element(hits.begin(), hits.begin() + limit, hits.end(),
                     [](const found& a, const found& b) { return a.key < b.key; });
    hits.resize(limit + 1);
  }
};

bool is_fanout_name(std::string_view n) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  return n.size() == 2 && hex(n[0]) && hex(n[1]);
}

}  // namespace

/// Reads one directory page by page; `entry` sees each entry (views valid during the call).
static void read_dir(backend_state* st, std::uint64_t id, std::shared_ptr<handle> dir, std::uint64_t cookie,
                     nfs::verifier verf, unsigned page, std::function<void(const nfs::dir_entry&)> entry,
                     std::function<void()> done) {
  if (page >= max_pages) return st->answer_status(id, proto::status::io_error, "READDIRPLUS never reached eof");
  st->call<nfs::readdirplus_res>(
      id, nfs::procs::readdirplus, nfs::readdirplus_args{*dir, cookie, verf, dir_bytes, max_reply},
      [=](nfs::readdirplus_res& r) {
        if (r.status != nfs::stat::ok) return st->answer_nfs(id, r.status, "READDIRPLUS");
        for (const auto& e : r.entries) entry(e);
        if (r.eof || r.entries.empty()) return done();
        read_dir(st, id, dir, r.entries.back().cookie, r.cookieverf, page + 1, entry, done);
      });
}

void backend_state::run_list(std::uint64_t id, const proto::store::list_args& a) {
  auto run = std::make_shared<list_run>();
  run->prefix.assign(xdr::as_chars(a.prefix));
  run->cursor.assign(xdr::as_chars(a.cursor));
  run->limit = a.limit == 0 ? default_limit : std::min(a.limit, proto::max_list);

  auto finish = [this, id, run] {
    auto& hits = run->hits;
    std::sort(hits.begin(), hits.end(), [](const found& x, const found& y) { return x.key < y.key; });
    proto::list_page page;
    page.more = hits.size() > run->limit;
    if (page.more) hits.resize(run->limit);
    for (const auto& h : hits) page.entries.push_back({xdr::as_bytes(h.key), h.info});
    if (!hits.empty()) page.next_cursor = xdr::as_bytes(hits.back().key);
    answer(id, proto::list_res{proto::status::ok, std::move(page), {}});
  };

  auto fanout = std::make_shared<std::vector<std::pair<std::string, handle>>>();
  read_dir(
      this, id, std::make_shared<handle>(root), 0, {}, 0,
      [fanout](const nfs::dir_entry& e) {
        if (is_fanout_name(e.name) && e.has_handle && e.attr.present && e.attr.attr.type == nfs::ftype_dir)
          fanout->emplace_back(std::string{e.name}, handle(e.handle.begin(), e.handle.end()));
      },
      [this, id, run, fanout, finish] {
        if (fanout->empty()) return finish();
        run->dirs_left = fanout->size();
        for (auto& [dname, fh] : *fanout) {
          dirs[dname] = fh;  // fresh handles for the directory cache
          read_dir(
              this, id, std::make_shared<handle>(fh), 0, {}, 0,
              [run](const nfs::dir_entry& e) {
                if (!e.attr.present || e.attr.attr.type != nfs::ftype_reg) return;
                auto key = nfs3::key_of(e.name);
                if (!key || !run->wanted(*key)) return;
                run->hits.push_back({std::move(*key), info_of(e.attr.attr)});
                run->trim();
              },
              [run, finish] {
                if (--run->dirs_left == 0) finish();
              });
        }
      });
}

}  // namespace ferry::actors::nfs3_detail
