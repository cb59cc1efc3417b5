// FERRY_CLIENT procedures for rpcgen's dispatch (ferry_client_prog_1). They run on the service thread;
// the state they share with the test thread is process-wide because C callbacks get no context pointer.
#include "client_reference_server.hpp"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include FERRY_RPCGEN_HEADER

// rpcgen -m defines the dispatcher but declares it nowhere.
extern "C" void ferry_client_prog_1(struct svc_req* request, SVCXPRT* transport);

namespace ferry::interop::reference {
namespace {

struct state {
  std::mutex lock;
  std::map<std::string, std::string> values;  // key bytes -> value bytes
  std::map<std::string, proto::version> versions;
  std::vector<seen_call> seen;
};

state& shared() {
  static state s;
  return s;
}

void record(const svc_req* request) {
  seen_call call;
  call.proc = static_cast<std::uint32_t>(request->rq_proc);
  call.flavor = static_cast<std::uint32_t>(request->rq_cred.oa_flavor);
  if (request->rq_cred.oa_flavor == AUTH_SYS) {
    const auto* p = static_cast<const authunix_parms*>(request->rq_clntcred);
    call.machine_name = p->aup_machname;
    call.uid = p->aup_uid;
    call.gid = p->aup_gid;
    call.gids.assign(p->aup_gids, p->aup_gids + p->aup_len);
  }
  std::lock_guard guard{shared().lock};
  shared().seen.push_back(std::move(call));
}

std::string as_string(const char* data, u_int len) { return {data, len}; }

// Results are freed by ferry_client_prog_1_freeresult with xdr_free, so they are malloc'd like rpcgen's own.
char* malloc_copy(std::string_view s) {
  auto* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

template <class Result>
bool_t refuse(Result* result, char*& detail) {
  result->status = FERRY_INTERNAL;
  detail = malloc_copy(unimplemented);
  return TRUE;
}

}  // namespace

proto::version put_version(std::size_t value_size, const proto::request_id& id) {
  std::uint64_t writer = 0;
  for (std::size_t i = 0; i < 8; ++i) writer = (writer << 8) | id[i];
  return {0x8000000000000000u | value_size, writer};
}

void reset() {
  std::lock_guard guard{shared().lock};
  shared().values.clear();
  shared().versions.clear();
  shared().seen.clear();
}

std::vector<seen_call> seen_calls() {
  std::lock_guard guard{shared().lock};
  return shared().seen;
}

std::unique_ptr<tirpc_service> serve(unique_fd connection) {
  return std::make_unique<tirpc_service>(
      std::move(connection), std::vector<tirpc_registration>{
                                 {FERRY_CLIENT_PROG, FERRY_CLIENT_V1, ferry_client_prog_1},
                                 {FERRY_CLIENT_PROG, extra_version, ferry_client_prog_1},
                             });
}

}  // namespace ferry::interop::reference

using namespace ferry::interop::reference;
namespace proto = ferry::proto;

extern "C" {

int ferry_client_prog_1_freeresult(SVCXPRT*, xdrproc_t xdr_result, caddr_t result) {
  xdr_free(xdr_result, result);
  return 1;
}

bool_t fc_null_1_svc(void*, struct svc_req* request) {
  record(request);
  return TRUE;
}

bool_t fc_put_1_svc(fc_put_args args, ferry_write_res* result, struct svc_req* request) {
  record(request);
  auto key = as_string(args.key.ferry_key_val, args.key.ferry_key_len);
  proto::request_id id{};
  std::memcpy(id.data(), args.request_id, id.size());
  std::lock_guard guard{shared().lock};
  if ((args.flags & FC_PUT_IF_ABSENT) != 0 && shared().values.count(key) != 0) {
    result->status = FERRY_EXISTS;
    result->ferry_write_res_u.detail = malloc_copy("key exists");
    return TRUE;
  }
  auto ver = put_version(args.value.value_len, id);
  shared().values[key] = as_string(args.value.value_val, args.value.value_len);
  shared().versions[key] = ver;
  result->status = FERRY_OK;
  result->ferry_write_res_u.ver = ferry_version{ver.hlc, ver.writer};
  return TRUE;
}

bool_t fc_get_1_svc(fc_key_args args, ferry_get_res* result, struct svc_req* request) {
  record(request);
  auto key = as_string(args.key.ferry_key_val, args.key.ferry_key_len);
  std::lock_guard guard{shared().lock};
  auto found = shared().values.find(key);
  if (found == shared().values.end()) {
    result->status = FERRY_NOT_FOUND;
    result->ferry_get_res_u.tombstone = ferry_version{missing_tombstone.hlc, missing_tombstone.writer};
    return TRUE;
  }
  auto ver = shared().versions[key];
  auto& value = result->ferry_get_res_u.value;
  result->status = FERRY_OK;
  value.info = ferry_object_info{found->second.size(), ferry_version{ver.hlc, ver.writer}, stored_mtime_ns};
  value.data.data_len = static_cast<u_int>(found->second.size());
  value.data.data_val = malloc_copy(found->second);
  return TRUE;
}

bool_t fc_delete_1_svc(fc_delete_args, ferry_write_res* r, struct svc_req*) {
  return refuse(r, r->ferry_write_res_u.detail);
}
bool_t fc_stat_1_svc(fc_key_args, ferry_stat_res* r, struct svc_req*) { return refuse(r, r->ferry_stat_res_u.detail); }
bool_t fc_list_1_svc(fc_list_args, ferry_list_res* r, struct svc_req*) { return refuse(r, r->ferry_list_res_u.detail); }
bool_t fc_write_open_1_svc(fc_write_open_args, ferry_write_open_res* r, struct svc_req*) {
  return refuse(r, r->ferry_write_open_res_u.detail);
}
bool_t fc_write_chunk_1_svc(fc_write_chunk_args, ferry_reply* r, struct svc_req*) {
  return refuse(r, r->ferry_reply_u.detail);
}
bool_t fc_write_commit_1_svc(fc_write_commit_args, ferry_write_res* r, struct svc_req*) {
  return refuse(r, r->ferry_write_res_u.detail);
}
bool_t fc_write_abort_1_svc(fc_write_abort_args, ferry_reply* r, struct svc_req*) {
  return refuse(r, r->ferry_reply_u.detail);
}
bool_t fc_read_1_svc(fc_read_args, ferry_read_res* r, struct svc_req*) { return refuse(r, r->ferry_read_res_u.detail); }
// The shared-memory procedures need a descriptor and a mapping: the reference server refuses them.
bool_t fc_shm_attach_1_svc(fc_shm_attach_args, ferry_reply* r, struct svc_req*) { return refuse(r, r->ferry_reply_u.detail); }
bool_t fc_put_shm_1_svc(fc_put_shm_args, ferry_write_res* r, struct svc_req*) {
  return refuse(r, r->ferry_write_res_u.detail);
}
bool_t fc_get_shm_1_svc(fc_get_shm_args, fc_get_shm_res* r, struct svc_req*) {
  return refuse(r, r->fc_get_shm_res_u.detail);
}
bool_t fc_write_chunk_shm_1_svc(fc_write_chunk_shm_args, ferry_reply* r, struct svc_req*) {
  return refuse(r, r->ferry_reply_u.detail);
}
bool_t fc_read_shm_1_svc(fc_read_shm_args, fc_read_shm_res* r, struct svc_req*) {
  return refuse(r, r->fc_read_shm_res_u.detail);
}

}  // extern "C"
