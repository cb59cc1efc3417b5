// format_event and its helpers as tables: quoting, escaping (no value can break the line or
// forge a key), key sanitising, timestamps and level names.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "actors/event_log/format.hpp"

using namespace ferry::actors;
using namespace std::chrono;
using namespace std::string_literals;

namespace {

system_clock::time_point at(int y, unsigned mo, unsigned d, hours h, minutes m, seconds s,
                            microseconds us) {
  return sys_days{year{y} / month{mo} / day{d}} + h + m + s + us;
}

std::string value(std::string_view v) {
  std::string out;
  append_value(out, v);
  return out;
}

}  // namespace

TEST_CASE("format_event writes ts, level, component and event, then the fields in order",
          "[event_log][format]") {
  auto line = format_event(at(2026, 11, 25, 22h, 59min, 32s, 123456us), spdlog::level::warn,
                           "listener", "session_opened",
                           {{"peer", "10.0.0.7:41234"}, {"user", "ann"}, {"reason", "too many"}});
  CHECK(line ==
        "ts=2026-11-25T22:59:32.123456Z level=warn component=listener event=session_opened"
        " peer=10.0.0.7:41234 user=ann reason=\"too many\"");
}

TEST_CASE("timestamps are UTC with six fraction digits, zero-padded", "[event_log][format]") {
  auto line = format_event(at(2027, 1, 2, 3h, 4min, 5s, 42us), spdlog::level::info, "c", "e", {});
  CHECK(line == "ts=2027-01-02T03:04:05.000042Z level=info component=c event=e");
  auto epoch = format_event(system_clock::time_point{}, spdlog::level::info, "c", "e", {});
  CHECK(epoch.rfind("ts=1970-01-01T00:00:00.000000Z ", 0) == 0);
}

TEST_CASE("values are quoted only when needed and escaped inside quotes", "[event_log][format]") {
  struct row {
    std::string in;
    std::string out;
  };
  auto rows = GENERATE(values<row>({
    {"plain", "plain"},
    {"", R"("")"},
    {"two words", R"("two words")"},
    {R"(say "hi")", R"("say \"hi\"")"},
    {R"(")", R"("\"")"},
    {"a=b", R"("a=b")"},
    {"=", R"("=")"},
    {R"(back\slash)", R"(back\slash)"},  // a lone backslash needs no quotes
    {R"(a\ b)", R"("a\\ b")"},
    {"line1\nline2", R"("line1\nline2")"},
    {"cr\r", R"("cr\r")"},
    {"tab\there", R"("tab\there")"},
    {"bell\x07", R"("bell\u0007")"},
    {"del\x7f", R"("del\u007f")"},
    {"esc\x1b[31m", R"("esc\u001b[31m")"},
    {"nul\0byte"s, R"("nul\u0000byte")"},
    {"gr\xc3\xbc\xc3\x9f" "e", "gr\xc3\xbc\xc3\x9f" "e"},  // UTF-8 passes through
    {"caf\xc3\xa9 au lait", "\"caf\xc3\xa9 au lait\""},
    {"\xff\xfe\x80", "\xff\xfe\x80"},  // invalid UTF-8 bytes too
    {"system_error(runtime_error)", "system_error(runtime_error)"},
  }));
  CAPTURE(rows.in);
  CHECK(value(rows.in) == rows.out);
}

TEST_CASE("a value cannot end the line or forge a key", "[event_log][format]") {
  auto forged = "x\nts=2026-01-01T00:00:00.000000Z level=error component=auth event=granted"s;
  auto line = format_event(at(2026, 11, 25, 0h, 0min, 0s, 0us), spdlog::level::info, "rpc",
                           "call\r\nlevel=error", {{"path", forged}});
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find('\r') == std::string::npos);
  CHECK(line ==
        "ts=2026-11-25T00:00:00.000000Z level=info component=rpc event=\"call\\r\\nlevel=error\""
        " path=\"x\\nts=2026-01-01T00:00:00.000000Z level=error component=auth event=granted\"");
}

TEST_CASE("keys lose spaces, quotes, '=', backslashes and control bytes", "[event_log][format]") {
  auto line = format_event(system_clock::time_point{}, spdlog::level::debug, "c", "e",
                           {{"a b=c\"d\\e\n", "1"}, {"", "2"}, {"ok_key", "3"}});
  CHECK(line == "ts=1970-01-01T00:00:00.000000Z level=debug component=c event=e"
                " a_b_c_d_e_=1 _=2 ok_key=3");
}

TEST_CASE("level names round-trip and unknown names are rejected", "[event_log][format]") {
  using spdlog::level::level_enum;
  for (auto lvl : {level_enum::trace, level_enum::debug, level_enum::info, level_enum::warn,
                   level_enum::err, level_enum::critical, level_enum::off}) {
    auto parsed = parse_level(level_name(lvl));
    REQUIRE(parsed);
    CHECK(*parsed == lvl);
  }
  CHECK(level_name(spdlog::level::err) == "error");
  CHECK(level_name(spdlog::level::warn) == "warn");
  CHECK(parse_level("warning") == spdlog::level::warn);
  for (auto bad : {"", "INFO", "verbose", "err", "info "}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_level(bad));
  }
}

TEST_CASE("durations use their largest exact unit", "[event_log][format]") {
  CHECK(duration_text(0ns) == "0s");
  CHECK(duration_text(5s) == "5s");
  CHECK(duration_text(250ms) == "250ms");
  CHECK(duration_text(1500ms) == "1500ms");
  CHECK(duration_text(1500us) == "1500us");
  CHECK(duration_text(7ns) == "7ns");
  CHECK(duration_text(-2s) == "-2s");
}
