// Validation of specifications (OTP's check_childspecs) and the defaults that
// depend on a child's type. Nothing here asserts: every problem is a value.
#include "supervision/spec.hpp"

#include <set>

namespace supervision {

const char* to_string(spec_errc x) {
  switch (x) {
    case spec_errc::empty_id: return "empty_id";
    case spec_errc::duplicate_id: return "duplicate_id";
    case spec_errc::missing_start: return "missing_start";
    case spec_errc::negative_timeout: return "negative_timeout";
    case spec_errc::zero_timeout_for_supervisor: return "zero_timeout_for_supervisor";
    case spec_errc::negative_intensity: return "negative_intensity";
    case spec_errc::nonpositive_period: return "nonpositive_period";
    case spec_errc::simple_needs_one_template: return "simple_needs_one_template";
    case spec_errc::bad_backoff: return "bad_backoff";
  }
  return "unknown";
}

shutdown_policy effective_shutdown(const child_spec& x) {
  if (x.shutdown)
    return *x.shutdown;
  return x.type == child_type::supervisor ? shutdown_policy::infinity()
                                          : shutdown_policy::after(std::chrono::seconds(5));
}

std::optional<spec_error> check(const child_spec& x) {
  if (x.id.empty())
    return spec_error{spec_errc::empty_id, x.id};
  if (!x.start)
    return spec_error{spec_errc::missing_start, x.id};
  auto sd = effective_shutdown(x);
  if (sd.how == shutdown_policy::kind::timeout) {
    if (sd.timeout.count() < 0)
      return spec_error{spec_errc::negative_timeout, x.id};
    // A supervisor needs time to stop its own subtree in order; a zero
    // timeout would kill it at once and orphan that ordering.
    if (sd.timeout.count() == 0 && x.type == child_type::supervisor)
      return spec_error{spec_errc::zero_timeout_for_supervisor, x.id};
  }
  return std::nullopt;
}

namespace {

std::optional<spec_error> check_flags(const supervisor_flags& f) {
  if (f.intensity < 0)
    return spec_error{spec_errc::negative_intensity, {}};
  if (f.period.count() <= 0)
    return spec_error{spec_errc::nonpositive_period, {}};
  if (f.backoff) {
    const auto& b = *f.backoff;
    if (b.initial.count() <= 0 || b.max < b.initial || !(b.jitter >= 0.0 && b.jitter < 1.0))
      return spec_error{spec_errc::bad_backoff, {}};
  }
  return std::nullopt;
}

} // namespace

std::optional<spec_error> check(const supervisor_spec& x) {
  if (auto err = check_flags(x.flags))
    return err;
  if (x.flags.strategy == restart_strategy::simple_one_for_one && x.children.size() != 1)
    return spec_error{spec_errc::simple_needs_one_template, {}};
  std::set<std::string> ids;
  for (const auto& child : x.children) {
    if (auto err = check(child))
      return err;
    if (!ids.insert(child.id).second)
      return spec_error{spec_errc::duplicate_id, child.id};
  }
  return std::nullopt;
}

} // namespace supervision
