// A fake link for deterministic rpc_connection tests: it records what the actor asks of it (opens,
// closes, the calls in each batch, decoded) in a probe the test reads; the test plays the socket by
// sending link_* events to the actor itself.
#pragma once

#include <caf/all.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "actors/rpc_connection/link.hpp"
#include "xdr/record.hpp"
#include "xdr/rpc.hpp"

namespace ferry::test {

struct sent_call {
  std::uint32_t xid = 0;
  std::uint32_t prog = 0;
  std::uint32_t vers = 0;
  std::uint32_t proc = 0;
  std::vector<xdr::byte> args;
  std::uint32_t cred_flavor = 0;
  std::vector<xdr::byte> cred_body;
};

struct link_probe {
  std::function<caf::actor_clock::time_point()> now;  // the test clock
  std::vector<std::uint64_t> opens;                   // connection numbers, in order
  std::vector<caf::actor_clock::time_point> open_times;
  int closes = 0;
  bool destroyed = false;
  std::vector<std::vector<sent_call>> batches;
  /// What the link tells of batches written (the test plays the socket's progress); nullopt: untold.
  std::optional<std::uint64_t> written;
  std::vector<std::pair<std::uint32_t, actors::reply_sink_ptr>> sinks;  // handed over with the batches
  std::vector<std::uint32_t> forgotten;                                 // forget(xid) calls

  std::vector<sent_call> all_calls() const {
    std::vector<sent_call> out;
    for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
    return out;
  }
};

// Splits a batch into its records and decodes each call: what a server would read.
inline std::vector<sent_call> decode_batch(const actors::outgoing_batch& batch) {
  auto bytes = batch.body.flatten();
  std::vector<sent_call> out;
  std::size_t at = 0;
  while (at < bytes.size()) {
    xdr::mutable_bytes rest{bytes.data() + at, bytes.size() - at};
    auto scan = xdr::scan_record(rest);
    if (!scan || !scan->complete()) throw std::runtime_error("batch holds a broken record");
    auto payload = xdr::record_payload(rest, *scan);
    auto call = xdr::rpc::decode_call(payload);
    if (!call) throw std::runtime_error("batch holds an undecodable call");
    const auto& cred = call->header.cred;
    out.push_back({call->header.xid, call->header.prog, call->header.vers, call->header.proc,
                   std::vector<xdr::byte>(call->args.begin(), call->args.end()), cred.flavor,
                   std::vector<xdr::byte>(cred.body.begin(), cred.body.end())});
    at += scan->bytes;
  }
  return out;
}

class fake_link final : public actors::link {
 public:
  explicit fake_link(std::shared_ptr<link_probe> probe) : probe_(std::move(probe)) {}
  ~fake_link() override { probe_->destroyed = true; }

  void open(std::uint64_t conn) override {
    probe_->opens.push_back(conn);
    if (probe_->now) probe_->open_times.push_back(probe_->now());
  }
  void send(actors::outgoing_batch batch) override {
    probe_->batches.push_back(decode_batch(batch));
    for (auto& s : batch.sinks) probe_->sinks.push_back(std::move(s));
  }
  void close() override { ++probe_->closes; }
  void forget(std::uint32_t xid) override { probe_->forgotten.push_back(xid); }
  std::optional<std::uint64_t> batches_written() const override { return probe_->written; }

 private:
  std::shared_ptr<link_probe> probe_;
};

inline actors::link_factory fake_link_factory(std::shared_ptr<link_probe> probe) {
  return [probe](caf::actor) -> std::unique_ptr<actors::link> { return std::make_unique<fake_link>(probe); };
}

// A MSG_ACCEPTED/SUCCESS reply whose results are one u32.
inline actors::shared_bytes success_reply(std::uint32_t xid, std::uint32_t result) {
  xdr::encoder e;
  xdr::rpc::encode_success(e, xid);
  e.u32(result);
  return std::make_shared<const std::vector<xdr::byte>>(e.flatten());
}

}  // namespace ferry::test
