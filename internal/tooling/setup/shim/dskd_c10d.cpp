// See dskd_c10d.h. Compiled by the setup next to gotch's C++ against the
// libtorch at hand; dskd_c10d_config.h (written by the setup) says which
// c10d backends that libtorch can give here. The differences between
// libtorch versions met so far, and how they are handled:
//   - 1.x: ProcessGroupGloo and ProcessGroupNCCL are c10d::ProcessGroups.
//     2.x: they are c10d::Backends, which a c10d::ProcessGroup dispatches
//     to by device type (setBackend); the ProcessGroup's constructor took
//     an Options in early 2.x and only (store, rank, size) by 2.6, and
//     setDefaultBackend appeared on the way: both are detected from the
//     headers (makeGroup below) rather than guessed from the version.
//   - 2.4+: TCPStore defaults to a libuv server, which builds without
//     libuv refuse (Debian's 2.6): newStore retries with the classic one.
//   - 2.0: the warning handler's interface changed (Silent below).
//   - Debian's 1.13 ships reducer.hpp but not the distributed-autograd
//     header it includes: the setup then adds a stand-in (shim/compat).
//   - 1.13's Reducer calls its Logger without checking that it has one:
//     a Logger is always attached, as DistributedDataParallel does.
#include "dskd_c10d_config.h"

#include <torch/version.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "dskd_c10d.h"

extern thread_local char *torch_last_err;


namespace {
void set_error(const std::string &msg) { torch_last_err = strdup(msg.c_str()); }

const char *missing_text() {
#ifdef DSKD_C10D_MISSING
  return DSKD_C10D_MISSING;
#else
  return "";
#endif
}
} // namespace

extern "C" int dskd_dist_backends(const char **missing) {
  int b = 0;
#ifdef DSKD_C10D_GLOO
  b |= DSKD_DIST_GLOO;
#endif
#ifdef DSKD_C10D_NCCL
  b |= DSKD_DIST_NCCL;
#endif
  if (missing != nullptr) {
    *missing = missing_text();
  }
  return b;
}

#if !defined(DSKD_C10D_GLOO) && !defined(DSKD_C10D_NCCL)

// No backend: every entry point says why.
namespace {
void unavailable() { set_error(std::string("distributed training is not available: ") + missing_text()); }
} // namespace

extern "C" {
dskd_dist_group dskd_dist_group_new(const char *, int, int, int, int, int64_t, const char *) {
  unavailable();
  return nullptr;
}
void dskd_dist_group_free(dskd_dist_group) {}
void dskd_dist_broadcast(dskd_dist_group, void **, int, int) { unavailable(); }
void dskd_dist_allreduce(dskd_dist_group, void **, int, bool) { unavailable(); }
void dskd_dist_barrier(dskd_dist_group) { unavailable(); }
dskd_dist_reducer dskd_dist_reducer_new(dskd_dist_group, void **, int, int64_t, bool) {
  unavailable();
  return nullptr;
}
void dskd_dist_reducer_free(dskd_dist_reducer) {}
void dskd_dist_reducer_before_forward(dskd_dist_reducer) { unavailable(); }
void dskd_dist_reducer_before_backward(dskd_dist_reducer, void **, int) { unavailable(); }
}

#else

#ifdef DSKD_C10D_GLOO
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#endif
#ifdef DSKD_C10D_NCCL
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#endif

#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/logger.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#ifdef DSKD_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef DSKD_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#if TORCH_VERSION_MAJOR >= 2
#define DSKD_C10D_BACKEND_CLASSES 1 // Gloo and NCCL are c10d::Backends
#endif

#define PROTECT(x)                                                             \
  try {                                                                        \
    x                                                                          \
  } catch (const std::exception &e) {                                          \
    set_error(e.what());                                                       \
  }

namespace {

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  int rank = 0;
  int size = 1;
  std::chrono::milliseconds timeout{0};
};

struct Reducer {
  c10::intrusive_ptr<c10d::ProcessGroup> pg; // outlives the Reducer
  std::shared_ptr<c10d::Reducer> reducer;
  // The Reducer reports to a Logger it only holds weakly, and calls it
  // without checking (1.13's search_unused_parameters crashes without
  // one): DistributedDataParallel always gives it one; so does dskd.
  std::shared_ptr<c10d::Logger> logger;

  ~Reducer() {
    logger.reset(); // it holds the Reducer
    reducer.reset();
  }
};

// Silent drops libtorch's warnings. prepare_for_backward warns, once,
// that find_unused_parameters found no unused parameter and advises
// turning it off; dskd's objectives leave parameters unused in some epochs
// and not others (side heads before the teacher exists), so the advice is
// wrong here. The handler's signature changed in 2.0.
class Silent : public c10::WarningHandler {
 public:
#if TORCH_VERSION_MAJOR >= 2
  void process(const c10::Warning &) override {}
#else
  void process(const c10::SourceLocation &, const std::string &, const bool) override {}
#endif
};

#if TORCH_VERSION_MAJOR >= 2
using WarningGuard = c10::WarningUtils::WarningHandlerGuard;
#else
using WarningGuard = c10::Warning::WarningHandlerGuard;
#endif

// TCPStoreOptions::useLibUV (2.4+) defaults to the libuv server, which
// builds without libuv refuse (Debian's 2.6); the classic server is in
// every build.
template <typename O> auto disable_libuv(O &o, int) -> decltype(o.useLibUV = false, true) {
  if (!o.useLibUV) {
    return false;
  }
  o.useLibUV = false;
  return true;
}
template <typename O> bool disable_libuv(O &, long) { return false; }

c10::intrusive_ptr<c10d::Store> newStore(const std::string &host, c10d::TCPStoreOptions o) {
  try {
    return c10::make_intrusive<c10d::TCPStore>(host, o);
  } catch (const std::exception &e) {
    if (std::string(e.what()).find("libuv") == std::string::npos || !disable_libuv(o, 0)) {
      throw;
    }
  }
  return c10::make_intrusive<c10d::TCPStore>(host, o);
}

bool is_loopback(const std::string &addr) {
  return addr == "localhost" || addr == "::1" || addr.rfind("127.", 0) == 0;
}

#ifdef DSKD_C10D_BACKEND_CLASSES
// setDefaultBackend exists from 2.1 or so; earlier the Options named it.
template <typename PG, typename = void> struct has_set_default_backend : std::false_type {};
template <typename PG>
struct has_set_default_backend<
    PG, std::void_t<decltype(std::declval<PG &>().setDefaultBackend(std::declval<typename PG::BackendType>()))>>
    : std::true_type {};

// makeGroup wraps a Gloo or NCCL backend in a c10d::ProcessGroup, as
// torch.distributed does in Python (_new_process_group_helper).
template <typename PG = c10d::ProcessGroup>
c10::intrusive_ptr<PG> makeGroup(const c10::intrusive_ptr<c10d::Store> &store, int rank, int size,
                                 const c10::intrusive_ptr<c10d::Backend> &backend, bool nccl,
                                 std::chrono::milliseconds timeout) {
  c10::intrusive_ptr<PG> pg;
  if constexpr (std::is_constructible_v<PG, const c10::intrusive_ptr<c10d::Store> &, int, int>) {
    pg = c10::make_intrusive<PG>(store, rank, size);
  } else {
    auto opts = c10::make_intrusive<typename PG::Options>(nccl ? "nccl" : "gloo", timeout);
    pg = c10::make_intrusive<PG>(store, rank, size, opts);
  }
  auto type = nccl ? PG::BackendType::NCCL : PG::BackendType::GLOO;
  if constexpr (has_set_default_backend<PG>::value) {
    pg->setDefaultBackend(type);
  }
  // NCCL serves CUDA tensors; Gloo serves CPU ones and, copying through
  // the host, CUDA ones too (what torch.distributed registers for "gloo").
  if (nccl) {
    pg->setBackend(c10::DeviceType::CUDA, type, backend);
  } else {
    pg->setBackend(c10::DeviceType::CPU, type, backend);
    pg->setBackend(c10::DeviceType::CUDA, type, backend);
  }
  return pg;
}
#endif

#ifdef DSKD_C10D_GLOO
std::shared_ptr<::gloo::transport::Device> glooDevice(const std::string &master, const char *host) {
  if (host != nullptr && *host != '\0') {
    return c10d::ProcessGroupGloo::createDeviceForHostname(host);
  }
  if (const char *ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname != '\0') {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (is_loopback(master)) {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

c10::intrusive_ptr<c10d::ProcessGroup> newGroup(const c10::intrusive_ptr<c10d::Store> &store, const std::string &master,
                                                int rank, int size, int backend, std::chrono::milliseconds timeout,
                                                const char *gloo_host) {
  if (backend == DSKD_DIST_GLOO) {
#ifdef DSKD_C10D_GLOO
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    opts->devices.push_back(glooDevice(master, gloo_host));
    opts->threads = 2; // what torch.distributed gives one device
    auto gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, opts);
#ifdef DSKD_C10D_BACKEND_CLASSES
    return makeGroup(store, rank, size, gloo, false, timeout);
#else
    return gloo;
#endif
#else
    throw std::runtime_error(std::string("the Gloo backend is not available: ") + missing_text());
#endif
  }
  if (backend == DSKD_DIST_NCCL) {
#ifdef DSKD_C10D_NCCL
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = timeout;
    auto nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, opts);
#ifdef DSKD_C10D_BACKEND_CLASSES
    return makeGroup(store, rank, size, nccl, true, timeout);
#else
    return nccl;
#endif
#else
    throw std::runtime_error(std::string("the NCCL backend is not available: ") + missing_text());
#endif
  }
  throw std::runtime_error("unknown distributed backend code " + std::to_string(backend));
}

std::vector<at::Tensor> tensors(void **ts, int n) {
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (int i = 0; i < n; i++) {
    if (ts[i] == nullptr) {
      throw std::runtime_error("tensor " + std::to_string(i) + " is null");
    }
    // detach: the collectives write into parameters that require grad.
    out.push_back(static_cast<at::Tensor *>(ts[i])->detach());
  }
  return out;
}

void wait(const c10::intrusive_ptr<c10d::Work> &work, std::chrono::milliseconds timeout) {
  work->wait(timeout);
}

// allreduce sums each (dtype, device) group of tensors as one flat buffer.
void allreduce(Group &g, std::vector<at::Tensor> ts, bool average) {
  at::NoGradGuard no_grad;
  std::map<std::pair<int, std::string>, std::vector<size_t>> groups;
  for (size_t i = 0; i < ts.size(); i++) {
    groups[{static_cast<int>(ts[i].scalar_type()), ts[i].device().str()}].push_back(i);
  }
  for (auto &kv : groups) {
    std::vector<at::Tensor> flat_parts;
    for (size_t i : kv.second) {
      flat_parts.push_back(ts[i].reshape({-1}));
    }
    std::vector<at::Tensor> flat{at::cat(flat_parts)};
    wait(g.pg->allreduce(flat), g.timeout);
    if (average) {
      flat[0].div_(g.size);
    }
    int64_t offset = 0;
    for (size_t i : kv.second) {
      int64_t n = ts[i].numel();
      ts[i].copy_(flat[0].narrow(0, offset, n).view(ts[i].sizes()));
      offset += n;
    }
  }
}

} // namespace

extern "C" {

dskd_dist_group dskd_dist_group_new(const char *master_addr, int master_port, int rank, int world_size, int backend,
                                    int64_t timeout_ms, const char *gloo_host) {
  PROTECT(
    if (world_size < 1 || rank < 0 || rank >= world_size) {
      throw std::runtime_error("rank " + std::to_string(rank) + " of world size " + std::to_string(world_size));
    }
    if (master_port <= 0 || master_port > 65535) {
      throw std::runtime_error("master port " + std::to_string(master_port));
    }
    auto timeout = std::chrono::milliseconds(timeout_ms);
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(master_port);
    o.isServer = rank == 0;
    o.numWorkers = world_size;
    o.waitWorkers = true;
    o.timeout = timeout;
    auto g = std::make_unique<Group>();
    g->store = newStore(master_addr, o);
    g->pg = newGroup(g->store, master_addr, rank, world_size, backend, timeout, gloo_host);
    g->rank = rank;
    g->size = world_size;
    g->timeout = timeout;
    return g.release();
  )
  return nullptr;
}

void dskd_dist_group_free(dskd_dist_group g) {
  try {
    delete static_cast<Group *>(g);
  } catch (...) {
    // A group whose peers died may throw while shutting down; there is
    // nobody left to tell.
  }
}

void dskd_dist_broadcast(dskd_dist_group g, void **ts, int n, int root) {
  PROTECT(
    auto &grp = *static_cast<Group *>(g);
    at::NoGradGuard no_grad;
    // 250 MiB buckets, what DistributedDataParallel uses for module states.
    c10d::broadcast_coalesced(grp.pg, tensors(ts, n), 250 * 1024 * 1024, root);
  )
}

void dskd_dist_allreduce(dskd_dist_group g, void **ts, int n, bool average) {
  PROTECT(allreduce(*static_cast<Group *>(g), tensors(ts, n), average);)
}

void dskd_dist_barrier(dskd_dist_group g) {
  PROTECT(
    auto &grp = *static_cast<Group *>(g);
    wait(grp.pg->barrier(), grp.timeout);
  )
}

dskd_dist_reducer dskd_dist_reducer_new(dskd_dist_group g, void **params, int n, int64_t bucket_bytes,
                                        bool find_unused) {
  PROTECT(
    auto &grp = *static_cast<Group *>(g);
    std::vector<at::Tensor> ps;
    for (int i = 0; i < n; i++) {
      ps.push_back(*static_cast<at::Tensor *>(params[i])); // the parameters themselves: hooks go on them
    }
    if (bucket_bytes <= 0) {
      bucket_bytes = c10d::kDefaultBucketBytesCap;
    }
    std::vector<bool> dense(ps.size(), false);
    auto assignment = c10d::compute_bucket_assignment_by_size(
        ps, {static_cast<size_t>(c10d::kDefaultFirstBucketBytes), static_cast<size_t>(bucket_bytes)}, dense);
    auto buckets = std::get<0>(assignment);
    auto limits = std::get<1>(assignment);
    // Gradients arrive roughly in reverse order of the parameters, as in
    // DistributedDataParallel; the Reducer re-buckets by the order seen in
    // the first backward pass (rebuild_buckets).
    std::reverse(buckets.begin(), buckets.end());
    std::reverse(limits.begin(), limits.end());
    auto r = std::make_unique<Reducer>();
    r->pg = grp.pg;
    r->reducer = std::make_shared<c10d::Reducer>(ps, buckets, limits, grp.pg, dense, bucket_bytes, find_unused,
                                                 false, std::unordered_map<size_t, std::string>{},
                                                 c10d::kDefaultFirstBucketBytes);
    r->logger = std::make_shared<c10d::Logger>(r->reducer);
    r->reducer->set_logger(r->logger);
    return r.release();
  )
  return nullptr;
}

void dskd_dist_reducer_free(dskd_dist_reducer r) {
  try {
    delete static_cast<Reducer *>(r);
  } catch (...) {
    // ~Reducer may throw (noexcept(false)) after a failed step.
  }
}

void dskd_dist_reducer_before_forward(dskd_dist_reducer r) {
  PROTECT(
    auto &red = *static_cast<Reducer *>(r)->reducer;
    red.rebuild_buckets(); // after the first step, once: buckets in gradient order
    red.prepare_for_forward();
  )
}

void dskd_dist_reducer_before_backward(dskd_dist_reducer r, void **outputs, int n) {
  PROTECT(
    std::vector<at::Tensor> outs;
    for (int i = 0; i < n; i++) {
      outs.push_back(*static_cast<at::Tensor *>(outputs[i]));
    }
    Silent silent;
    WarningGuard guard(&silent);
    static_cast<Reducer *>(r)->reducer->prepare_for_backward(outs);
  )
}

} // extern "C"

#endif
