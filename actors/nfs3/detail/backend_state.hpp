// The nfs3_backend's state and its plumbing: ops (one per FERRY_STORE call taken), NFS sub-calls with
// the op's remaining time, answers encoded as FERRY_STORE results. The operations themselves are in
// object_ops.cpp, upload_ops.cpp and list_op.cpp, the steps they share in nfs_steps.cpp, start-up and the
// behaviour in nfs3_backend.cpp.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>
#include <spdlog/common.h>

#include "actors/nfs3/nfs3_backend.hpp"
#include "actors/nfs3/nfs_status.hpp"
#include "actors/nfs3/object_path.hpp"
#include "actors/nfs3/write_rounds.hpp"
#include "actors/rpc_connection/call_args.hpp"
#include "xdr/codec.hpp"
#include "xdr/protocol/nfs3.hpp"
#include "xdr/protocol/store.hpp"

namespace ferry::actors::nfs3_detail {

namespace nfs = proto::nfs3;
using handle = std::vector<xdr::byte>;  // an NFS file handle, owned
using time_point = caf::actor_clock::time_point;

/// One FERRY_STORE call being performed. Its args point into `args`, kept here.
struct op {
  caf::response_promise rp;
  std::uint32_t proc = 0;
  std::shared_ptr<const std::vector<xdr::byte>> args;  // the call's encoded arguments, flattened
  time_point deadline;
  bool stale_retried = false;  // NFS3ERR_STALE is retried once, with fresh directory handles
  /// A temporary file this op created and has not renamed: removed (best effort) if the op ends without
  /// clearing it.
  std::optional<std::pair<handle, std::string>> temp;
  /// The object path ("dd/name") whose write lock this op holds or waits for; empty: none.
  std::string lock;
};

struct upload {
  std::string dir;       // fan-out directory name
  std::string name;      // target file name
  std::string temp;      // temporary file name in the same directory
  handle temp_fh;
  proto::version ver;
  time_point touched;    // open or last chunk
};

/// One write_durably call across its rounds (defined in nfs_steps.cpp).
struct durable_write;

struct backend_state {
  static inline const char* name = "nfs3_backend";
  /// unmounting: told to shut down, UMNT on its way; calls are refused, the open ones finish or not.
  enum class phase { discovering, mounting, starting, ready, down, unmounting };

  caf::stateful_actor<backend_state>* self = nullptr;
  nfs3_backend_config cfg;
  phase state = phase::discovering;
  caf::actor pmap, mount, nfs;  // children, linked; pmap and mount live only during start-up
  std::uint16_t nfs_port = 0, mount_port = 0;
  handle root;
  std::uint32_t rtmax = 65536, wtmax = 65536;
  unsigned setup_attempt = 0;
  std::uint64_t setup_epoch = 0;
  std::string last_problem;
  time_point started;  // why start-up has not finished, for connection_state_changed
  time_point umount_by;  // unmounting: the backend quits by then, UMNT answered or not

  std::unordered_map<std::string, handle> dirs;  // fan-out directory name -> handle
  std::unordered_map<std::uint64_t, op> ops;
  /// Writes (PUT, DELETE, COMMIT) of one object run one at a time: the check-then-rename of a write
  /// must not interleave with another's, or an older version could be renamed over a newer one. The
  /// front of each queue runs; the others wait.
  std::unordered_map<std::string, std::deque<std::uint64_t>> writers;
  std::uint64_t next_op = 1;
  std::unordered_map<std::uint64_t, upload> uploads;
  std::uint64_t next_upload = 1;
  std::uint64_t temp_salt = 0;
  std::uint64_t next_temp = 0;

  rpc_connection_stats stats;

  explicit backend_state(caf::stateful_actor<backend_state>*) {}
  backend_state(const backend_state&) = delete;
  backend_state& operator=(const backend_state&) = delete;
  ~backend_state();  // answers every open op, stops the children

  time_point now() const { return self->clock().now(); }

  // --- answers (each erases the op; an op already answered is ignored) ---------------------------
  template <class Result>
  void answer(std::uint64_t id, const Result& res) {
    auto it = ops.find(id);
    if (it == ops.end()) return;
    release_temp(it->second);
    auto record = std::make_shared<std::vector<xdr::byte>>();
    xdr::encoder out;
    if (!xdr::encode(out, res)) {
      it->second.rp.deliver(make_error(rpc_errc::protocol_error, "result over its XDR bound"));
    } else {
      out.append_to(*record);
      ++stats.replies;
      it->second.rp.deliver(rpc_reply{std::move(record), 0});
    }
    end_op(it);
  }
  /// Takes the op out of the table and lets the next writer of its object run.
  void end_op(std::unordered_map<std::uint64_t, op>::iterator it);
  /// True when op `id` holds the write lock of `path` (taking it if free); false: it waits its turn and
  /// is dispatched again when the lock comes to it.
  bool lock_object(std::uint64_t id, const nfs3::object_path& path);
  /// The deadline of op `id` passed: answered timedout if still open (waiting for a lock or not).
  void expire(std::uint64_t id);
  void release_temp(op& o) {
    if (o.temp) remove_quietly(o.temp->first, o.temp->second);
    o.temp.reset();
  }
  /// Answers a procedure with no results (NULL).
  void answer_void(std::uint64_t id);
  /// A ferry status other than OK, in the result type of the op's procedure.
  void answer_status(std::uint64_t id, proto::status code, const std::string& detail);
  void answer_error(std::uint64_t id, caf::error e);
  /// An NFS procedure failed with `nfsstat`: retried once on STALE/BADHANDLE, else mapped and answered.
  void answer_nfs(std::uint64_t id, std::uint32_t nfsstat, const char* what);

  // --- NFS sub-calls -------------------------------------------------------------------------------
  /// Calls `proc` on the NFS connection with the op's remaining time; `on_result(Res&)` runs only if
  /// the op is still open and the reply decoded (views in Res live during the call). RPC failures
  /// answer the op.
  template <class Res, class Args, class F>
  void call(std::uint64_t id, std::uint32_t proc, const Args& args, F on_result,
            std::vector<std::shared_ptr<const void>> owners = {}) {
    auto it = ops.find(id);
    if (it == ops.end()) return;
    auto left = std::chrono::duration_cast<caf::timespan>(it->second.deadline - now());
    if (left <= caf::timespan::zero()) return answer_error(id, make_error(rpc_errc::timedout, "deadline spent"));
    auto encoded = make_call_args(args, std::move(owners));
    if (!encoded) return answer_error(id, make_error(rpc_errc::protocol_error, "NFS arguments over their bound"));
    auto sent = now();
    self->request(nfs, caf::infinite, rpc_call{proc, std::move(encoded), left})
        .then(
            [this, id, sent, on_result](rpc_reply& reply) mutable {
              stats.latency.record(now() - sent);
              if (!ops.count(id)) return;
              auto res = xdr::decode<Res>(reply.results());
              if (!res) return answer_error(id, make_error(rpc_errc::protocol_error, "undecodable NFS reply"));
              on_result(*res);
            },
            [this, id](caf::error& e) { answer_error(id, std::move(e)); });
  }

  /// Best effort, answered to nobody (removing a temporary after a failure).
  void remove_quietly(const handle& dir, const std::string& file);

  /// The handle of fan-out directory `dir`; created when `create`. `then(const handle*)` gets nullptr
  /// when it does not exist and !create.
  void resolve_dir(std::uint64_t id, const std::string& dir, bool create,
                   std::function<void(const handle*)> then);

  /// Writes `data` at `offset` of `fh` to stable storage, then `then()`: wtmax pieces, all in flight at
  /// once, UNSTABLE, then COMMIT of the range; all sent again while the server's write verifier changes
  /// under them, at most nfs3::max_write_rounds rounds, then IO_ERROR. `owner` keeps `data` alive.
  void write_durably(std::uint64_t id, const handle& fh, std::uint64_t offset, xdr::bytes_view data,
                     std::shared_ptr<const void> owner, std::function<void()> then);
  void send_write_round(std::uint64_t id, std::shared_ptr<durable_write> w);
  void commit_write_round(std::uint64_t id, std::shared_ptr<durable_write> w);
  void verifier_changed(std::uint64_t id, std::shared_ptr<durable_write> w, nfs3::write_verdict verdict,
                        const char* when);
  /// To the event_log actor registered as cfg.event_log_name, if any.
  void log(spdlog::level::level_enum level, std::string what,
           std::vector<std::pair<std::string, std::string>> fields);
  /// Reads [offset, offset + length) of `fh` in rtmax pieces; `then` gets the bytes.
  void read_all(std::uint64_t id, const handle& fh, std::uint64_t offset, std::uint64_t length,
                std::function<void(std::shared_ptr<std::vector<xdr::byte>>)> then);
  /// SETATTR mtime = the version's HLC, then RENAME temp over name; answers write_res ok/failure.
  void stamp_and_rename(std::uint64_t id, const handle& dir, const std::string& temp, const handle& temp_fh,
                        const std::string& target, proto::version ver);
  std::string temp_name();
  /// LOOKUP of the target: a newer version there answers CONFLICT; else `then(same HLC as ver)`.
  void check_version(std::uint64_t id, const handle& dir, const std::string& target, proto::version ver,
                     std::function<void(bool same)> then);
  /// CREATE of a fresh temporary (mode 0644, empty) in `dir`; `then(name, handle)`.
  void create_temp(std::uint64_t id, const handle& dir,
                   std::function<void(const std::string& temp, const handle& fh)> then);
  /// The regular file holding `key`: answers BAD_KEY / NOT_FOUND / the NFS error itself, else `then`.
  void find_object(std::uint64_t id, xdr::bytes_view key,
                   std::function<void(const handle& fh, const nfs::fattr& attr)> then);
  /// Aborts uploads untouched for upload_idle (lazily, at WRITE_OPEN: no timer keeps the actor alive).
  void expire_idle_uploads();

  // --- operations (dispatch decodes the args and runs one of these) --------------------------------
  void dispatch(std::uint64_t id);
  void run_null(std::uint64_t id);
  void run_health(std::uint64_t id);
  void run_put(std::uint64_t id, const proto::store::put_args& a);
  void run_get(std::uint64_t id, const proto::store::key_args& a);
  void run_delete(std::uint64_t id, const proto::store::delete_args& a);
  void run_stat(std::uint64_t id, const proto::store::key_args& a);
  void run_read(std::uint64_t id, const proto::store::read_args& a);
  void run_list(std::uint64_t id, const proto::store::list_args& a);
  void run_write_open(std::uint64_t id, const proto::store::write_open_args& a);
  void run_write_chunk(std::uint64_t id, const proto::store::write_chunk_args& a);
  void run_write_commit(std::uint64_t id, const proto::store::write_commit_args& a);
  void run_write_abort(std::uint64_t id, const proto::store::write_abort_args& a);
};

/// object_info from NFS attributes: size, the version in mtime (writer 0), mtime.
proto::object_info info_of(const nfs::fattr& a);

}  // namespace ferry::actors::nfs3_detail
