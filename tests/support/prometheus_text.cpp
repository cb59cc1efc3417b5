// A hand-written checker of the Prometheus text format 0.0.4: Debian packages no C++ parser of it
// (prometheus-cpp only writes the format), and std::regex draws sanitizer warnings from GCC 12 at -O1.
// Line by line: split, tokenise with a cursor, then whole-text checks (histograms) at the end.
#include "prometheus_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

namespace ferry::test {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_metric_char(char c) { return is_alpha(c) || is_digit(c) || c == '_' || c == ':'; }
bool is_label_char(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }

bool valid_metric_name(std::string_view s) {
  return !s.empty() && !is_digit(s[0]) && std::all_of(s.begin(), s.end(), is_metric_char);
}

bool valid_label_name(std::string_view s) {
  return !s.empty() && !is_digit(s[0]) && std::all_of(s.begin(), s.end(), is_label_char);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A float as our exporters may write it: a decimal number, +Inf, -Inf or NaN. Go's ParseFloat takes
// more spellings ("inf", hex), which we refuse on purpose.
std::optional<double> parse_float(std::string_view s) {
  if (s == "+Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const std::size_t number = i;
  std::size_t digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exponent_digits = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++exponent_digits;
    if (exponent_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  // from_chars takes no leading '+'; it reads the sign itself otherwise.
  const std::size_t from = s[0] == '+' ? number : 0;
  double value = 0;
  auto [end, ec] = std::from_chars(s.data() + from, s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_timestamp(std::string_view s) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<prom_type> parse_type(std::string_view s) {
  if (s == "counter") return prom_type::counter;
  if (s == "gauge") return prom_type::gauge;
  if (s == "histogram") return prom_type::histogram;
  if (s == "summary") return prom_type::summary;
  if (s == "untyped") return prom_type::untyped;
  return std::nullopt;
}

// Written again here rather than shared with actors/metering: a checker must not reuse what it checks.
std::string escape_label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// `name{a="x",b="y"}` with labels sorted: the identity of a series, also used in messages.
std::string series_key(std::string_view name, prom_labels labels) {
  std::sort(labels.begin(), labels.end());
  std::string key(name);
  if (labels.empty()) return key;
  key += '{';
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) key += ',';
    key += labels[i].first + "=\"" + escape_label_value(labels[i].second) + '"';
  }
  return key + '}';
}

const std::string* label(const prom_labels& labels, std::string_view name) {
  for (const auto& [k, v] : labels)
    if (k == name) return &v;
  return nullptr;
}

prom_labels without(prom_labels labels, std::string_view name) {
  std::erase_if(labels, [&](const auto& kv) { return kv.first == name; });
  return labels;
}

// Reads one line left to right; every method reports failure through `error`.
struct cursor {
  std::string_view s;
  std::size_t i = 0;
  std::string error;

  bool at_end() const { return i >= s.size(); }
  char peek() const { return at_end() ? '\0' : s[i]; }
  bool skip_blanks() {
    const std::size_t from = i;
    while (!at_end() && is_blank(s[i])) ++i;
    return i > from;
  }
  std::string_view token() {  // up to the next blank
    const std::size_t from = i;
    while (!at_end() && !is_blank(s[i])) ++i;
    return s.substr(from, i - from);
  }
  std::string_view take_while(bool (*pred)(char)) {
    const std::size_t from = i;
    while (!at_end() && pred(s[i])) ++i;
    return s.substr(from, i - from);
  }
  std::string_view rest() {
    auto r = s.substr(std::min(i, s.size()));
    i = s.size();
    return r;
  }
};

// Unescapes `text`: \\ and \n everywhere, \" in label values only; any other escape is an error.
std::optional<std::string> unescape(std::string_view text, bool quote_allowed, std::string& error) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) {
      error = "backslash at the end of the text";
      return std::nullopt;
    }
    const char c = text[i];
    if (c == '\\')
      out += '\\';
    else if (c == 'n')
      out += '\n';
    else if (c == '"' && quote_allowed)
      out += '"';
    else {
      error = std::string("invalid escape sequence \\") + c;
      return std::nullopt;
    }
  }
  return out;
}

class checker {
 public:
  prom_exposition run(std::string_view text) {
    std::size_t number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = text.find('\n', start);
      ++number;
      if (end == std::string_view::npos) {
        error(number, "the last line does not end with a line feed");
        line(text.substr(start), number);
        break;
      }
      line(text.substr(start, end - start), number);
      start = end + 1;
    }
    check_histograms();
    std::stable_sort(out_.errors.begin(), out_.errors.end(),
                     [](const prom_error& a, const prom_error& b) { return a.line < b.line; });
    return std::move(out_);
  }

 private:
  struct family_lines {
    std::size_t type = 0;  // 0: none
    std::size_t help = 0;
    bool left = false;  // another family's line came after one of this family's
  };

  void error(std::size_t line, std::string reason) { out_.errors.push_back({line, std::move(reason)}); }

  void line(std::string_view text, std::size_t number) {
    if (text.find('\r') != std::string_view::npos) {
      error(number, "carriage return in the line (lines end with a line feed alone)");
      return;
    }
    cursor c{text, 0, {}};
    c.skip_blanks();
    if (c.at_end()) return;
    if (c.peek() == '#') {
      ++c.i;
      comment(c, number);
    } else {
      sample(c, number);
    }
  }

  void comment(cursor& c, std::size_t number) {
    c.skip_blanks();
    const auto keyword = c.token();
    if (keyword != "HELP" && keyword != "TYPE") return;  // any other comment is free text
    if (!c.skip_blanks()) return error(number, std::string(keyword) + " without a metric name");
    const auto name = c.token();
    if (!valid_metric_name(name)) return error(number, "invalid metric name \"" + std::string(name) + "\" in " + std::string(keyword));
    if (keyword == "HELP") {
      // One blank separates the name from the text; the rest of the line is the text, escapes included.
      if (!c.at_end()) ++c.i;
      std::string why;
      auto help = unescape(c.rest(), false, why);
      if (!help) return error(number, why + " in HELP of " + std::string(name));
      const std::size_t f = enter(std::string(name), number);
      if (lines_[f].help) return error(number, "second HELP for " + std::string(name) + " (first at line " + std::to_string(lines_[f].help) + ")");
      lines_[f].help = number;
      out_.families[f].help = std::move(*help);
      return;
    }
    c.skip_blanks();
    const auto type_word = c.token();
    c.skip_blanks();
    if (!c.at_end()) return error(number, "unexpected text after the type in TYPE of " + std::string(name));
    const auto type = parse_type(type_word);
    if (!type) return error(number, "unknown type \"" + std::string(type_word) + "\" in TYPE of " + std::string(name));
    const std::size_t f = enter(std::string(name), number);
    auto& fam = out_.families[f];
    if (lines_[f].type) return error(number, "second TYPE for " + fam.name + " (first at line " + std::to_string(lines_[f].type) + ")");
    if (!fam.samples.empty())
      return error(number, "TYPE for " + fam.name + " after its samples (first at line " + std::to_string(fam.samples.front().line) + ")");
    if (*type == prom_type::histogram || *type == prom_type::summary) {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        auto it = index_.find(fam.name + suffix);
        if (it != index_.end() && !out_.families[it->second].samples.empty())
          return error(number, "TYPE for " + fam.name + " after its samples (first at line " +
                                   std::to_string(out_.families[it->second].samples.front().line) + ")");
      }
    }
    lines_[f].type = number;
    fam.type = *type;
    fam.typed = true;
  }

  void sample(cursor& c, std::size_t number) {
    prom_sample s;
    s.line = number;
    const auto name = c.take_while(is_metric_char);
    if (!valid_metric_name(name)) {
      const auto bad = name.empty() ? c.token() : name;
      return error(number, "invalid metric name \"" + std::string(bad) + "\"");
    }
    s.name = name;
    bool blank = c.skip_blanks();
    if (c.peek() == '{') {
      ++c.i;
      if (!labels(c, s.labels)) return error(number, c.error + " in the labels of " + s.name);
      c.skip_blanks();
      blank = true;  // '}' already ends the token, as in Prometheus' own parser
    }
    if (!blank && !c.at_end()) return error(number, "unexpected character after " + s.name);
    if (c.at_end()) return error(number, "missing value for " + s.name);
    const auto value_text = c.token();
    const auto value = parse_float(value_text);
    if (!value) return error(number, "invalid value \"" + std::string(value_text) + "\" for " + s.name);
    s.value = *value;
    c.skip_blanks();
    if (!c.at_end()) {
      const auto stamp_text = c.token();
      s.timestamp_ms = parse_timestamp(stamp_text);
      if (!s.timestamp_ms) return error(number, "invalid timestamp \"" + std::string(stamp_text) + "\" for " + s.name);
      c.skip_blanks();
      if (!c.at_end()) return error(number, "unexpected text after the timestamp of " + s.name);
    }
    add(std::move(s));
  }

  // After '{': `name="value"` pairs separated by commas, a trailing comma allowed, blanks between tokens.
  static bool labels(cursor& c, prom_labels& out) {
    for (;;) {
      c.skip_blanks();
      if (c.peek() == '}') {
        ++c.i;
        return true;
      }
      const auto name = c.take_while(is_label_char);
      if (!valid_label_name(name)) {
        c.error = name.empty() ? "expected a label name or '}'" : "invalid label name \"" + std::string(name) + "\"";
        return false;
      }
      if (name.substr(0, 2) == "__") {
        c.error = "reserved label name \"" + std::string(name) + "\"";
        return false;
      }
      if (label(out, name)) {
        c.error = "label \"" + std::string(name) + "\" given twice";
        return false;
      }
      c.skip_blanks();
      if (c.peek() != '=') {
        c.error = "expected '=' after label \"" + std::string(name) + "\"";
        return false;
      }
      ++c.i;
      c.skip_blanks();
      if (c.peek() != '"') {
        c.error = "expected '\"' to open the value of label \"" + std::string(name) + "\"";
        return false;
      }
      const std::size_t from = ++c.i;
      while (!c.at_end() && c.s[c.i] != '"') c.i += c.s[c.i] == '\\' ? 2 : 1;
      if (c.at_end()) {
        c.error = "unterminated value of label \"" + std::string(name) + "\"";
        return false;
      }
      auto value = unescape(c.s.substr(from, c.i - from), true, c.error);
      if (!value) return false;
      ++c.i;
      out.emplace_back(std::string(name), std::move(*value));
      c.skip_blanks();
      if (c.peek() == ',') {
        ++c.i;
      } else if (c.peek() != '}') {
        c.error = "expected ',' or '}' after the value of label \"" + std::string(name) + "\"";
        return false;
      }
    }
  }

  // The family a sample belongs to: the current histogram/summary when the suffix fits, then the
  // family of that exact name, then a typed histogram/summary named by the prefix.
  std::string family_of(const std::string& sample) const {
    auto suffixed = [&](const prom_family& f) {
      if (f.type == prom_type::histogram)
        return sample == f.name + "_bucket" || sample == f.name + "_sum" || sample == f.name + "_count";
      if (f.type == prom_type::summary) return sample == f.name + "_sum" || sample == f.name + "_count";
      return false;
    };
    if (current_ && suffixed(out_.families[*current_])) return out_.families[*current_].name;
    if (index_.count(sample)) return sample;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (!ends_with(sample, suffix)) continue;
      auto it = index_.find(sample.substr(0, sample.size() - std::char_traits<char>::length(suffix)));
      if (it != index_.end() && suffixed(out_.families[it->second])) return out_.families[it->second].name;
    }
    return sample;
  }

  // Makes `name` the current family, creating it, and reports a family whose lines are split.
  std::size_t enter(const std::string& name, std::size_t number) {
    auto [it, fresh] = index_.try_emplace(name, out_.families.size());
    if (fresh) {
      out_.families.push_back({});
      out_.families.back().name = name;
      out_.families.back().first_line = number;
      lines_.push_back({});
    }
    const std::size_t f = it->second;
    if (current_ != f) {
      if (lines_[f].left)
        error(number, "lines of " + name + " are not together (the family starts at line " +
                          std::to_string(out_.families[f].first_line) + ")");
      if (current_) lines_[*current_].left = true;
      current_ = f;
    }
    return f;
  }

  void add(prom_sample s) {
    const std::size_t f = enter(family_of(s.name), s.line);
    auto& fam = out_.families[f];
    const auto key = series_key(s.name, s.labels);
    auto [seen, fresh] = series_.try_emplace(key, s.line);
    if (!fresh) return error(s.line, "duplicate series " + key + " (first at line " + std::to_string(seen->second) + ")");
    switch (fam.type) {
      case prom_type::counter:
        if (std::isnan(s.value) || s.value < 0) error(s.line, "counter " + key + " is negative or NaN");
        break;
      case prom_type::histogram:
        check_histogram_sample(fam, s, key);
        break;
      case prom_type::summary:
        check_summary_sample(fam, s, key);
        break;
      case prom_type::gauge:
      case prom_type::untyped:
        break;
    }
    fam.samples.push_back(std::move(s));
  }

  void check_histogram_sample(const prom_family& fam, const prom_sample& s, const std::string& key) {
    const auto* le = label(s.labels, "le");
    if (s.name == fam.name + "_bucket") {
      if (!le) return error(s.line, "histogram bucket " + key + " has no le label");
      if (!parse_float(*le)) error(s.line, "le=\"" + escape_label_value(*le) + "\" of " + key + " is not a number");
      if (std::isnan(s.value) || s.value < 0) error(s.line, "bucket " + key + " is negative or NaN");
    } else if (s.name == fam.name + "_sum" || s.name == fam.name + "_count") {
      if (le) error(s.line, key + " has an le label");
      if (s.name == fam.name + "_count" && (std::isnan(s.value) || s.value < 0)) error(s.line, key + " is negative or NaN");
    } else {
      error(s.line, "histogram " + fam.name + " has a sample without _bucket, _sum or _count: " + key);
    }
  }

  void check_summary_sample(const prom_family& fam, const prom_sample& s, const std::string& key) {
    const auto* quantile = label(s.labels, "quantile");
    if (s.name == fam.name) {
      if (!quantile) return error(s.line, "summary quantile " + key + " has no quantile label");
      const auto q = parse_float(*quantile);
      if (!q || !(*q >= 0 && *q <= 1)) error(s.line, "quantile=\"" + escape_label_value(*quantile) + "\" of " + key + " is not in [0, 1]");
    } else {
      if (quantile) error(s.line, key + " has a quantile label");
      if (s.name == fam.name + "_count" && (std::isnan(s.value) || s.value < 0)) error(s.line, key + " is negative or NaN");
    }
  }

  // Per histogram series (labels without le): le increasing, counts cumulative, +Inf last, _count equal.
  void check_histograms() {
    for (const auto& fam : out_.families) {
      if (fam.type != prom_type::histogram) continue;
      struct series {
        std::vector<const prom_sample*> buckets;
        const prom_sample* count = nullptr;
      };
      std::map<std::string, series> by_labels;
      for (const auto& s : fam.samples) {
        if (s.name == fam.name + "_bucket" && label(s.labels, "le") && parse_float(*label(s.labels, "le")))
          by_labels[series_key(fam.name, without(s.labels, "le"))].buckets.push_back(&s);
        else if (s.name == fam.name + "_count")
          by_labels[series_key(fam.name, s.labels)].count = &s;
      }
      for (const auto& [key, series] : by_labels) {
        if (series.buckets.empty()) {
          error(series.count->line, "histogram " + key + " has a _count but no buckets");
          continue;
        }
        for (std::size_t i = 1; i < series.buckets.size(); ++i) {
          const auto* prev = series.buckets[i - 1];
          const auto* b = series.buckets[i];
          if (!(*parse_float(*label(b->labels, "le")) > *parse_float(*label(prev->labels, "le"))))
            error(b->line, "le of histogram " + key + " does not increase from line " + std::to_string(prev->line));
          if (b->value < prev->value)
            error(b->line, "bucket counts of histogram " + key + " decrease from line " + std::to_string(prev->line));
        }
        const auto* last = series.buckets.back();
        if (*label(last->labels, "le") != "+Inf") {
          error(last->line, "histogram " + key + " does not end with an le=\"+Inf\" bucket");
        } else if (series.count && series.count->value != last->value) {
          error(series.count->line, fam.name + "_count of " + key + " differs from its +Inf bucket (line " +
                                        std::to_string(last->line) + ")");
        }
      }
    }
  }

  prom_exposition out_;
  std::vector<family_lines> lines_;  // parallel to out_.families
  std::unordered_map<std::string, std::size_t> index_;
  std::map<std::string, std::size_t> series_;  // series key -> line
  std::optional<std::size_t> current_;
};

}  // namespace

const prom_family* prom_exposition::family(std::string_view name) const {
  for (const auto& f : families)
    if (f.name == name) return &f;
  return nullptr;
}

const prom_sample* prom_exposition::sample(std::string_view name, const prom_labels& labels) const {
  const auto key = series_key(name, labels);
  for (const auto& f : families)
    for (const auto& s : f.samples)
      if (s.name == name && series_key(s.name, s.labels) == key) return &s;
  return nullptr;
}

std::string prom_exposition::describe_errors() const {
  std::string out;
  for (const auto& e : errors) out += "line " + std::to_string(e.line) + ": " + e.reason + "\n";
  return out;
}

prom_exposition parse_prometheus_text(std::string_view text) { return checker().run(text); }

}  // namespace ferry::test
