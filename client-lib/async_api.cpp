// The async C entry points: submit (enlist a heap waiter whose completion is queued), ferry_fd (the
// handle's readiness set) and ferry_process (non-blocking leader step, deadlines, then the callbacks).
#include <cstring>
#include <memory>
#include <vector>

#include "call_support.hpp"

namespace {

using namespace ferry::clib::support;
using ferry::clib::async_call;
namespace pc = proto::client;

/// Puts one call on the wire as an async_call. FERRY_OK: its callback will run exactly once.
template <class Args>
outcome submit(ferry_t* h, pc::proc proc, const Args& args, const ferry_options* opts,
               ferry_async_callback callback, void* user) {
  auto deadline = deadline_of(opts);
  std::shared_ptr<ferry::clib::connection> c;
  if (auto got = ferry::clib::current_connection(h, deadline, c); got.code != 0) return got;
  auto call = std::make_shared<async_call>();
  call->proc = static_cast<std::uint32_t>(proc);
  call->deadline = deadline;
  call->callback = callback;
  call->user = user;
  call->conn = c;
  call->sink = &h->async;
  h->async.add_pending(call);  // before it is sent: the reply may come back at once
  auto encode = [&](xdr::encoder& out) { return static_cast<bool>(xdr::encode(out, args)); };
  std::uint32_t xid = 0;
  if (auto sent = c->start(*call, call->proc, encode, deadline, xid); sent.code != 0) {
    // Still pending: the call never left, report it here. Otherwise the connection broke under it and
    // completed it: its callback reports the failure.
    return h->async.drop_if_pending(call.get()) ? sent : outcome{};
  }
  h->async.mark_sent(call.get(), xid);
  return {};
}

/// The result a callback sees: views into the call's reply record, valid while the callback runs.
void run_callback(async_call& call) {
  ferry_async_result r{};
  char detail[FERRY_MAX_DETAIL + 1] = "";
  r.detail = detail;
  int status = call.result.code;
  auto keep_detail = [&](std::string_view d) {
    std::size_t n = std::min<std::size_t>(d.size(), FERRY_MAX_DETAIL);
    if (n != 0) std::memcpy(detail, d.data(), n);
    detail[n] = '\0';
  };
  if (status == 0) {
    switch (static_cast<pc::proc>(call.proc)) {
      case pc::proc::put:
      case pc::proc::del: {
        proto::write_res res;
        status = decode_results(call.reply, res).code;
        r.info.version_hlc = res.ver.hlc;
        r.info.version_writer = res.ver.writer;
        keep_detail(res.detail);
        break;
      }
      case pc::proc::get: {
        proto::get_res res;
        status = decode_results(call.reply, res).code;
        if (status == FERRY_OK) {
          r.value = res.found.data.empty() ? static_cast<const void*>(detail) : res.found.data.data();
          r.vlen = res.found.data.size();
          fill_info(&r.info, res.found.info);
        }
        keep_detail(res.detail);
        break;
      }
      default: {  // stat
        proto::stat_res res;
        status = decode_results(call.reply, res).code;
        if (status == FERRY_OK) fill_info(&r.info, res.info);
        keep_detail(res.detail);
        break;
      }
    }
  }
  call.callback(call.user, status, &r);
}

/// GET and STAT: the same key arguments, checked the same way.
int submit_key_call(ferry_t* h, pc::proc proc, const void* key, std::size_t klen, const ferry_options* opts,
                    ferry_async_callback callback, void* user) {
  return boundary([&]() -> outcome {
    if (h == nullptr || callback == nullptr) return {FERRY_E_INVALID, 0};
    if (int k = check_key(key, klen); k != FERRY_OK) return {k, 0};
    pc::key_args args{view(key, klen), wire_deadline(opts)};
    return submit(h, proc, args, opts, callback, user);
  });
}

int negative(int code) { return code == 0 ? 0 : -code; }

}  // namespace

extern "C" {

int ferry_fd(ferry_t* h) {
  if (h == nullptr) return -FERRY_E_INVALID;
  int fd = -1;
  int rc = boundary([&]() -> outcome {
    std::lock_guard lk(h->mu);
    ferry::clib::adopt_process_locked(h);
    return h->async.ready_fd(fd);
  });
  return rc != 0 ? negative(rc) : fd;
}

int ferry_process(ferry_t* h) {
  if (h == nullptr) return -FERRY_E_INVALID;
  int ran = 0;
  int rc = boundary([&]() -> outcome {
    std::shared_ptr<ferry::clib::connection> c;
    {
      std::lock_guard lk(h->mu);
      ferry::clib::adopt_process_locked(h);
      c = h->conn;
    }
    if (c && !c->broken()) c->read_ready();
    if (c && c->broken()) {
      std::lock_guard lk(h->mu);
      if (h->conn == c) h->async.unwatch_socket();
    }
    h->async.expire(steady::now());
    for (auto& call : h->async.take_completed()) {
      ++ran;
      try {
        run_callback(*call);
      } catch (...) {  // a C++ callback's exception must not cost the other completions their turn
      }
    }
    return {};
  });
  return rc != 0 ? negative(rc) : ran;
}

int ferry_put_async(ferry_t* h, const void* key, size_t klen, const void* value, size_t vlen,
                    const ferry_options* opts, ferry_async_callback callback, void* user) {
  return boundary([&]() -> outcome {
    if (h == nullptr || callback == nullptr || (value == nullptr && vlen != 0)) return {FERRY_E_INVALID, 0};
    if (int k = check_key(key, klen); k != FERRY_OK) return {k, 0};
    if (vlen > FERRY_MAX_VALUE) return {FERRY_TOO_BIG, 0};
    pc::put_args args{view(key, klen), view(value, vlen), wire_deadline(opts), request_id_of(opts),
                      opts != nullptr ? opts->flags : 0u};
    return submit(h, pc::proc::put, args, opts, callback, user);
  });
}

int ferry_get_async(ferry_t* h, const void* key, size_t klen, const ferry_options* opts,
                    ferry_async_callback callback, void* user) {
  return submit_key_call(h, pc::proc::get, key, klen, opts, callback, user);
}

int ferry_delete_async(ferry_t* h, const void* key, size_t klen, const ferry_options* opts,
                       ferry_async_callback callback, void* user) {
  return boundary([&]() -> outcome {
    if (h == nullptr || callback == nullptr) return {FERRY_E_INVALID, 0};
    if (int k = check_key(key, klen); k != FERRY_OK) return {k, 0};
    pc::delete_args args{view(key, klen), wire_deadline(opts), request_id_of(opts)};
    return submit(h, pc::proc::del, args, opts, callback, user);
  });
}

int ferry_stat_async(ferry_t* h, const void* key, size_t klen, const ferry_options* opts,
                     ferry_async_callback callback, void* user) {
  return submit_key_call(h, pc::proc::stat, key, klen, opts, callback, user);
}

}  // extern "C"
