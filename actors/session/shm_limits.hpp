// What ferryd accepts on the shared-memory bulk path (issue 12): plain data, the [shm] table of its
// configuration (config/ferryd_settings.hpp embeds it, with its defaults here), handed to each new
// session's io through socket_io_options::shm (a reload applies to sessions accepted after it).
#pragma once

#include <cstdint>

namespace ferry::session::shm {

struct shm_limits {
  bool enabled = true;                            ///< false: FC_SHM_ATTACH answers BAD_REQUEST
  std::uint64_t max_region_bytes = 256ull << 20;  ///< one session's region
  std::uint64_t max_total_bytes = 2ull << 30;     ///< all sessions' regions mapped in this ferryd together
  std::uint32_t max_slots_in_flight = 128;        ///< one session's slot calls in flight; more: OVERLOADED
  friend bool operator==(const shm_limits&, const shm_limits&) = default;
};

}  // namespace ferry::session::shm
