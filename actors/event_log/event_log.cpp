// event_log: formats each event with format_event and hands the finished line to an spdlog
// logger of its own (never the global registry), whose pattern is the bare message.
#include "actors/event_log/event_log.hpp"
#include "actors/metering/metered.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "supervision/messages.hpp"

namespace ferry::actors {

namespace {

using logger_ptr = std::shared_ptr<spdlog::logger>;
namespace level = spdlog::level;

struct event_log_state {
  logger_ptr logger;

  event_log_state() = default;
  event_log_state(const event_log_state&) = delete;
  event_log_state& operator=(const event_log_state&) = delete;
  // CAF destroys the state when the actor exits, whatever the reason.
  ~event_log_state() {
    if (logger) logger->flush();
  }

  static inline const char* name = "event_log";
};

caf::error bad_level(const std::string& name) {
  return caf::make_error(caf::sec::invalid_argument, "event log: unknown level " + name);
}

/// spdlog would create missing parent directories; a daemon should not, so probe first.
caf::expected<spdlog::sink_ptr> open_file_sink(const std::string& file) {
  auto fail = [&](const std::string& why) {
    return caf::make_error(caf::sec::runtime_error, "event log: cannot open " + file + ": " + why);
  };
  if (auto* probe = std::fopen(file.c_str(), "ab")) {
    std::fclose(probe);
  } else {
    return fail(std::strerror(errno));
  }
  try {
    return spdlog::sink_ptr{std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, false)};
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

caf::expected<logger_ptr> open_logger(const event_log_config& cfg) {
  auto initial = parse_level(cfg.level);
  if (!initial) return bad_level(cfg.level);
  std::vector<spdlog::sink_ptr> sinks;
  if (!cfg.file.empty()) {
    auto file = open_file_sink(cfg.file);
    if (!file) return std::move(file.error());
    sinks.push_back(std::move(*file));
  }
  if (cfg.to_stderr) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (cfg.extra_sink) sinks.push_back(cfg.extra_sink);
  auto logger = std::make_shared<spdlog::logger>("event_log", sinks.begin(), sinks.end());
  logger->set_pattern("%v");  // format_event writes the whole line
  logger->set_level(*initial);
  logger->flush_on(level::warn);
  return logger;
}

void write(spdlog::logger& logger, level::level_enum lvl, std::string_view component,
           std::string_view what, const event_fields& fields) {
  if (!logger.should_log(lvl)) return;
  auto line = format_event(std::chrono::system_clock::now(), lvl, component, what, fields);
  logger.log(lvl, spdlog::string_view_t{line.data(), line.size()});
}

std::string describe(caf::actor_system& sys, const caf::error& reason) {
  return reason ? sys.render(reason) : std::string{"normal"};
}

event_fields about(const std::string& supervisor, caf::actor_id id) {
  return {{"supervisor", supervisor}, {"supervisor_id", std::to_string(id)}};
}

std::string id_of(const caf::actor_addr& x) { return x ? std::to_string(x.id()) : std::string{"0"}; }

caf::behavior event_log_actor(caf::stateful_actor<event_log_state>* self, logger_ptr opened) {
  self->state.logger = std::move(opened);
  auto emit = [self](level::level_enum lvl, std::string_view component, std::string_view what,
                     const event_fields& fields) {
    write(*self->state.logger, lvl, component, what, fields);
  };
  return {
    [emit](log_event& x) {
      // `off` and out-of-range values are no event level; spdlog would write them.
      if (x.level < level::trace || x.level >= level::off) return;
      emit(x.level, x.component, x.what, x.fields);
    },
    [self](set_log_level& x) -> caf::result<caf::ok_atom> {
      auto& logger = *self->state.logger;
      auto next = parse_level(x.level);
      if (!next) return bad_level(x.level);
      auto before = std::string{level_name(logger.level())};
      logger.set_level(*next);
      write(logger, level::info, "event_log", "level_changed",
            {{"from", before}, {"to", std::string{level_name(*next)}}});
      return caf::ok_atom::value;
    },
    [self](get_log_level) { return std::string{level_name(self->state.logger->level())}; },
    // -- supervision reports --------------------------------------------------------------------
    [emit](supervision::child_started& x) {
      auto fields = about(x.supervisor, x.supervisor_id);
      fields.emplace_back("child", x.child_id);
      fields.emplace_back("actor", id_of(x.child));
      emit(level::info, "supervisor", "child_started", fields);
    },
    [self, emit](supervision::child_exited& x) {
      auto expected_exit = !x.reason || x.reason == caf::exit_reason::user_shutdown;
      auto fields = about(x.supervisor, x.supervisor_id);
      fields.emplace_back("child", x.child_id);
      fields.emplace_back("actor", id_of(x.child));
      fields.emplace_back("reason", describe(self->system(), x.reason));
      fields.emplace_back("ordered", x.ordered ? "true" : "false");
      emit(expected_exit ? level::info : level::warn, "supervisor", "child_exited", fields);
    },
    [emit](supervision::child_restarting& x) {
      auto fields = about(x.supervisor, x.supervisor_id);
      fields.emplace_back("child", x.child_id);
      fields.emplace_back("attempt", std::to_string(x.attempt));
      fields.emplace_back("delay", duration_text(x.delay));
      emit(level::warn, "supervisor", "child_restarting", fields);
    },
    [self, emit](supervision::child_start_failed& x) {
      auto fields = about(x.supervisor, x.supervisor_id);
      fields.emplace_back("child", x.child_id);
      fields.emplace_back("reason", describe(self->system(), x.reason));
      emit(level::err, "supervisor", "child_start_failed", fields);
    },
    [self, emit](supervision::supervisor_escalated& x) {
      auto fields = about(x.supervisor, x.supervisor_id);
      fields.emplace_back("reason", describe(self->system(), x.reason));
      fields.emplace_back("intensity", std::to_string(x.intensity));
      fields.emplace_back("period", duration_text(x.period));
      emit(level::err, "supervisor", "supervisor_escalated", fields);
    },
  };
}

/// Stands in for an event log whose config is bad: it ends at once with the reason.
caf::behavior failed_event_log(caf::event_based_actor* self, caf::error why) {
  self->quit(std::move(why));
  return {};
}

/// `where` is the actor system or the parent actor.
template <class Where>
caf::actor spawn_with(Where where, const event_log_config& cfg) {
  auto logger = open_logger(cfg);
  if (!logger) return metering::spawn_maybe_metered(where, nullptr, "event_log", failed_event_log, std::move(logger.error()));
  return metering::spawn_maybe_metered(where, cfg.meters, "event_log", event_log_actor, std::move(*logger));
}

}  // namespace

caf::actor spawn_event_log(caf::actor_system& sys, event_log_config cfg) { return spawn_with<caf::actor_system&>(sys, cfg); }

caf::actor spawn_event_log(caf::local_actor* parent, event_log_config cfg) {
  return spawn_with<caf::local_actor*>(parent, cfg);
}

std::function<caf::expected<caf::actor>(caf::local_actor*, const caf::message&)>
event_log_starter(event_log_config cfg) {
  return [cfg = std::move(cfg)](caf::local_actor* parent,
                                const caf::message&) -> caf::expected<caf::actor> {
    auto logger = open_logger(cfg);
    if (!logger) return std::move(logger.error());
    return metering::spawn_maybe_metered(parent, cfg.meters, "event_log", event_log_actor, std::move(*logger));
  };
}

void log(const caf::actor& event_log, level::level_enum lvl, std::string component, std::string what,
         event_fields fields) {
  if (!event_log) return;
  caf::anon_send(event_log, log_event{lvl, std::move(component), std::move(what), std::move(fields)});
}

}  // namespace ferry::actors
