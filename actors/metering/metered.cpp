// actors/metering/metered.cpp: the cold parts of metered<Base>: naming a message type the first
// time an actor sees it, and splitting a resume's CPU over the types it handled.
#include "actors/metering/metered.hpp"

#include <bit>
#include <cxxabi.h>
#include <cstdlib>

namespace ferry::metering {

namespace {

std::string demangle(const std::type_info& ti) {
  int status = 0;
  char* s = abi::__cxa_demangle(ti.name(), nullptr, nullptr, &status);
  std::string out = status == 0 && s != nullptr ? s : ti.name();
  std::free(s);
  return out;
}

}  // namespace

std::string message_type_name(const message_key& k, const caf::actor_system& sys) {
  std::string out = k.response ? "response:" : "";
  if (k.empty)
    return out + "<empty>";
  if (k.type_nr == caf::type_nr<caf::atom_value>::value)
    return out + "atom:" + caf::to_string(static_cast<caf::atom_value>(k.atom));
  if (k.type_nr != 0)
    return out + caf::numbered_type_names[k.type_nr - 1];
  if (k.rtti == nullptr)
    return out + "<unknown>";
  const auto& portable = sys.types().portable_name(0, k.rtti);
  return out + (portable.empty() || portable == "???" ? demangle(*k.rtti) : portable);
}

namespace detail {

std::uint64_t mailbox_depth(caf::scheduled_actor& self) {
  return self.mailbox().size();
}

void distribute_cpu(resume_context& ctx, std::uint64_t cpu_ns) {
  ctx.meters->add_cpu(cpu_ns);
  std::uint64_t total_wall = 0;
  for (auto bits = ctx.touched; bits != 0; bits &= bits - 1)
    total_wall += ctx.pending_wall[std::countr_zero(bits)];
  if (ctx.touched == 0)
    return;  // a resume without messages (initialisation): charged to the actor only
  for (auto bits = ctx.touched; bits != 0; bits &= bits - 1) {
    auto slot = static_cast<std::size_t>(std::countr_zero(bits));
    auto share = total_wall == 0
                   ? cpu_ns / static_cast<std::uint64_t>(std::popcount(ctx.touched))
                   : static_cast<std::uint64_t>(static_cast<double>(cpu_ns)
                                                * static_cast<double>(ctx.pending_wall[slot])
                                                / static_cast<double>(total_wall));
    ctx.meters->add_type_cpu(slot, share);
  }
}

}  // namespace detail

}  // namespace ferry::metering
