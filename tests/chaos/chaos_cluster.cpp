// The breakable cluster of the chaos tests: processes are killed, paused and restarted in place.
#include "chaos_cluster.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace ferry::chaos {

namespace {

std::vector<std::string> flags_for(const std::vector<std::uint16_t>& ports) {
  std::vector<std::string> out;
  for (auto p : ports) {
    out.push_back("--store");
    out.push_back("127.0.0.1:" + std::to_string(p));
  }
  return out;
}

}  // namespace

durable_cluster::durable_cluster(std::size_t n, unsigned replicas, unsigned quorum) {
  for (std::size_t i = 0; i < n; ++i) {
    data_dirs_.push_back(dir_.file("store-" + std::to_string(i)));
    std::filesystem::create_directories(data_dirs_.back());
    stores_.push_back(test::start_store(FERRY_STORE_BIN, {"--data", data_dirs_.back()}));
    ports_.push_back(stores_.back().port);
    paused_.push_back(false);
  }
  socket_ = dir_.file("ferryd.sock");
  ferryd_flags_ = {"--socket", socket_, "--log-level", "warn", "--replicas", std::to_string(replicas),
                   "--write-quorum", std::to_string(quorum)};
  auto s = flags_for(ports_);
  ferryd_flags_.insert(ferryd_flags_.end(), s.begin(), s.end());
  restart_ferryd();
}

void durable_cluster::kill_store(std::size_t i) {
  stores_.at(i).proc->signal(SIGKILL);
  if (!stores_[i].proc->wait(10s)) throw std::runtime_error("ferry-store did not die of SIGKILL");
  stores_[i].proc.reset();
  paused_[i] = false;
}

void durable_cluster::restart_store(std::size_t i) {
  // The port was just freed; a bind can still race the kernel's clean-up, so a few bounded attempts.
  std::string last_error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    try {
      stores_.at(i) = test::start_store(FERRY_STORE_BIN, {"--data", data_dirs_[i]}, ports_[i]);
      return;
    } catch (const std::exception& e) {
      last_error = e.what();
      std::this_thread::sleep_for(200ms);
    }
  }
  throw std::runtime_error("ferry-store " + std::to_string(i) + " did not restart: " + last_error);
}

void durable_cluster::pause_store(std::size_t i) {
  stores_.at(i).proc->signal(SIGSTOP);
  paused_[i] = true;
}

void durable_cluster::resume_store(std::size_t i) {
  stores_.at(i).proc->signal(SIGCONT);
  paused_[i] = false;
}

void durable_cluster::kill_ferryd() {
  ferryd_->proc->signal(SIGKILL);
  if (!ferryd_->proc->wait(10s)) throw std::runtime_error("ferryd did not die of SIGKILL");
  ferryd_.reset();
}

void durable_cluster::restart_ferryd() {
  ferryd_.reset();
  auto log = dir_.file("ferryd-" + std::to_string(ferryd_starts_++) + ".log");
  ferryd_ = test::start_ferryd(FERRYD_BIN, ferryd_flags_, log);
  daemon_test::wait_until_routing(socket_);
}

void durable_cluster::heal() {
  for (std::size_t i = 0; i < stores_.size(); ++i) {
    if (!stores_[i].proc) {
      restart_store(i);
    } else if (paused_[i]) {
      resume_store(i);
    }
  }
  if (!ferryd_) restart_ferryd();
}

bool durable_cluster::serves_from_every_store(std::chrono::milliseconds limit) {
  ferry_t* h = nullptr;
  if (ferry_open(socket_.c_str(), &h) != FERRY_OK) return false;
  ferry_options o = FERRY_OPTIONS_INIT;
  o.deadline_ms = 2000;
  const bool ok = daemon_test::eventually(
      [&] {
        const auto key = "probe/" + std::to_string(probes_++);
        if (ferry_put(h, key.data(), key.size(), "p", 1, &o) != FERRY_OK) return false;
        // A write is answered at W acks: the last replica may land a moment later.
        return daemon_test::eventually(
            [&] {
              try {
                return daemon_test::holders(stores_, key, std::string("p")) == stores_.size();
              } catch (const std::exception&) {
                return false;
              }
            },
            500ms, 10ms);
      },
      limit, 50ms);
  ferry_close(h);
  return ok;
}

std::vector<std::string> durable_cluster::ferryd_error_reports() const {
  std::vector<std::string> out;
  for (unsigned n = 0; n < ferryd_starts_; ++n) {
    std::ifstream log(dir_.file("ferryd-" + std::to_string(n) + ".log"));
    for (std::string line; std::getline(log, line);)
      if (line.find("Sanitizer") != std::string::npos || line.find("runtime error:") != std::string::npos ||
          line.find("terminate called") != std::string::npos)
        out.push_back("ferryd run " + std::to_string(n) + ": " + line);
  }
  return out;
}

}  // namespace ferry::chaos
