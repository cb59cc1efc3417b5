// The session input path under random records, deterministic and bounded (a fixed seed, 100,000 records),
// in the normal ctest suite and under ASan: the same driver as the libFuzzer target fuzz_session, fed by a
// generator of calls for every FERRY_CLIENT procedure, mutated in every way a hostile client could.
#include <catch2/catch.hpp>

#include <random>

#include "summary.hpp"
#include "session_driver.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/client.hpp"

using namespace ferry;
namespace pc = proto::client;
namespace rpc = xdr::rpc;
using bytes = std::vector<xdr::byte>;

namespace {

class generator {
 public:
  explicit generator(std::uint64_t seed) : rng_(seed) {}

  std::uint32_t below(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return below(100) < static_cast<std::uint32_t>(percent); }
  std::uint32_t word() { return static_cast<std::uint32_t>(rng_()); }

  bytes blob(std::size_t max) {
    bytes b(below(static_cast<std::uint32_t>(max + 1)));
    for (auto& x : b) x = static_cast<xdr::byte>(rng_());
    return b;
  }

  /// Encoded arguments for `proc` with random field values (keys sometimes over FERRY_MAX_KEY: the encoder
  /// refuses those, so such a call is sent with hand-made bytes below).
  bytes args_for(std::uint32_t proc) {
    std::string key(1 + below(40), 'k');
    for (auto& c : key) c = static_cast<char>('a' + below(26));
    auto k = xdr::as_bytes(key);
    auto v = blob(512);
    xdr::encoder e;
    // Shared-memory slot calls: no region is attached here, and their slots are random.
    auto slot = [&] { return pc::shm_slot{chance(50) ? word() : below(1u << 20), static_cast<std::uint32_t>(word())}; };
    if (proc > pc::max_proc) {
      switch (static_cast<pc::shm_proc>(proc)) {
        case pc::shm_proc::attach: (void)xdr::encode(e, pc::shm_attach_args{word()}); break;
        case pc::shm_proc::put: (void)xdr::encode(e, pc::put_shm_args{k, slot(), word() % 3000, {}, below(3)}); break;
        case pc::shm_proc::get: (void)xdr::encode(e, pc::get_shm_args{k, slot(), word() % 3000}); break;
        case pc::shm_proc::write_chunk: (void)xdr::encode(e, pc::write_chunk_shm_args{word(), word(), slot(), word() % 3000}); break;
        case pc::shm_proc::read: (void)xdr::encode(e, pc::read_shm_args{k, word(), slot(), word() % 3000}); break;
      }
      return e.flatten();
    }
    switch (static_cast<pc::proc>(proc)) {
      case pc::proc::null: break;
      case pc::proc::put: (void)xdr::encode(e, pc::put_args{k, v, word() % 3000, {}, below(3)}); break;
      case pc::proc::get:
      case pc::proc::stat: (void)xdr::encode(e, pc::key_args{k, word() % 3000}); break;
      case pc::proc::del: (void)xdr::encode(e, pc::delete_args{k, word() % 3000, {}}); break;
      case pc::proc::list: (void)xdr::encode(e, pc::list_args{k, {}, below(2000), word() % 3000}); break;
      case pc::proc::write_open: (void)xdr::encode(e, pc::write_open_args{k, word(), word() % 3000, {}}); break;
      case pc::proc::write_chunk: (void)xdr::encode(e, pc::write_chunk_args{word(), word(), v, word() % 3000}); break;
      case pc::proc::write_commit: (void)xdr::encode(e, pc::write_commit_args{word(), word(), word() % 3000}); break;
      case pc::proc::write_abort: (void)xdr::encode(e, pc::write_abort_args{word()}); break;
      case pc::proc::read: (void)xdr::encode(e, pc::read_args{k, word(), word(), word() % 3000}); break;
    }
    return e.flatten();
  }

  /// One record payload: a call (often broken in its arguments); with `anything`, possibly a record that
  /// is no call at all or a call broken anywhere (which ends the session).
  bytes record(bool anything) {
    if (anything && chance(30)) return blob(64);  // not a call
    rpc::call_header h;
    h.xid = word();
    h.prog = chance(95) ? pc::program : word();
    h.vers = chance(95) ? pc::version : below(4);
    h.proc = chance(95) ? below(pc::max_shm_proc + 1) : word() % 40;
    bytes body;
    if (chance(5)) {
      h.cred.flavor = below(8);
      body = blob(400);  // AUTH_SYS bodies that may or may not decode, other flavors: AUTH errors
      h.cred.body = body;
    }
    xdr::encoder e;
    rpc::encode_call(e, h);
    auto out = e.flatten();
    const auto header = out.size();
    auto args = args_for(h.proc <= pc::max_shm_proc ? h.proc : below(pc::max_shm_proc + 1));
    out.insert(out.end(), args.begin(), args.end());
    return mutate(out, anything ? 0 : header);
  }

  /// Breaks a call in one way at or after byte `from`, or leaves it whole: truncation (a field ends early),
  /// a word overwritten (lengths beyond bounds, bad enums and booleans, huge numbers), flipped bits,
  /// garbage appended, non-zero padding.
  bytes mutate(bytes b, std::size_t from) {
    const auto span = static_cast<std::uint32_t>(b.size() - from);
    switch (below(8)) {
      case 0: b.resize(from + below(span + 1)); break;
      case 1:
        if (span >= 4) {
          auto at = from + 4 * below(span / 4);
          const std::uint32_t pick[] = {0xFFFFFFFFu, 0x80000000u, 1025u, 0x01000001u, word(), 2u, 0u};
          auto v = pick[below(7)];
          for (std::size_t i = 0; i < 4; ++i) b[at + i] = static_cast<xdr::byte>(v >> (24 - 8 * i));
        }
        break;
      case 2:
        for (int i = 0, n = 1 + static_cast<int>(below(4)); i < n && span > 0; ++i)
          b[from + below(span)] ^= static_cast<xdr::byte>(1u << below(8));
        break;
      case 3: {
        auto tail = blob(16);
        b.insert(b.end(), tail.begin(), tail.end());
        break;
      }
      case 4:
        if (span > 0) b.back() |= 0x5A;  // a padding byte, when the last item was padded
        break;
      default: break;  // a valid call
    }
    return b;
  }

  /// A stream of `n` records, framed in one or more fragments; sometimes with broken framing at the end.
  bytes stream(std::size_t n) {
    bytes out;
    // One stream in four may end its session early (a record that is no call, a broken header).
    const std::size_t killer = chance(25) ? below(static_cast<std::uint32_t>(n)) : n;
    for (std::size_t i = 0; i < n; ++i) {
      auto payload = record(i == killer);
      if (chance(10) && payload.size() > 8) {  // two fragments
        auto cut = 1 + below(static_cast<std::uint32_t>(payload.size() - 1));
        append_fragment(out, {payload.data(), cut}, false);
        append_fragment(out, {payload.data() + cut, payload.size() - cut}, true);
      } else {
        append_fragment(out, payload, true);
      }
    }
    switch (below(20)) {
      case 0: out.resize(out.size() - below(static_cast<std::uint32_t>(std::min<std::size_t>(out.size(), 40)))); break;
      case 1: append_word(out, 0xFFFFFFFFu); break;          // a 2 GiB record mark
      case 2: append_word(out, 0x80000000u | (1u << 20)); break;  // 1 MiB: over the small limit
      case 3: for (int i = 0; i < 100; ++i) append_word(out, 0); break;  // empty non-last fragments
      default: break;
    }
    return out;
  }

 private:
  static void append_word(bytes& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<xdr::byte>(v >> (24 - 8 * i)));
  }
  static void append_fragment(bytes& out, xdr::bytes_view data, bool last) {
    append_word(out, (last ? 0x80000000u : 0u) | static_cast<std::uint32_t>(data.size()));
    out.insert(out.end(), data.begin(), data.end());
  }

  std::mt19937_64 rng_;
};

std::size_t hostile_scaled(std::size_t n) {
#ifdef FERRY_HOSTILE_SCALE_DIVISOR
  return n / FERRY_HOSTILE_SCALE_DIVISOR;
#else
  return n;
#endif
}

}  // namespace

TEST_CASE("100,000 random records (25,000 under ASan) through real sessions: every call answered once, nothing leaks",
          "[hostile][session][fuzz]") {
  fuzz::session_driver driver;
  generator g(20261126);
  const std::size_t target = hostile_scaled(100000);  // records (in-process: about a second)
  std::size_t records = 0, calls = 0, replies = 0, streams = 0, broken = 0, exact = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (records < target && streams < 20000) {
    fuzz::session_knobs k;
    k.max_record = g.chance(30) ? 4096 : 1 << 16;
    k.max_calls = g.chance(50) ? 1 + g.below(4) : 128;
    k.max_bytes = g.chance(30) ? 4096 : 1 << 20;
    k.budget = g.chance(20) ? 4096 + g.below(8192) : 1 << 22;
    auto s = g.stream(1 + g.below(100));
    auto o = driver.feed(s, k);  // aborts on a broken invariant
    ++streams;
    records += o.records;
    calls += o.calls;
    replies += o.replies;
    if (o.framing_broken) ++broken;
    if (!o.framing_broken && o.calls == o.records) ++exact;
  }
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  hostile::summary("session input: random records")
      .num("streams", static_cast<double>(streams))
      .num("records", static_cast<double>(records))
      .num("calls", static_cast<double>(calls))
      .num("replies", static_cast<double>(replies))
      .num("streams_with_broken_framing", static_cast<double>(broken))
      .num("streams_checked_exactly_once", static_cast<double>(exact))
      .num("seconds", secs)
      .text("outcome", "every call answered at most once, exactly once when all records were calls; "
                       "budget, calls owed and sessions back to 0 after each stream");
  CHECK(records >= target);
  CHECK(exact > 0);
  CHECK(broken > 0);
}
