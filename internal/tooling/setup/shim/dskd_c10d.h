// dskd's C API to libtorch's distributed engine, c10d: a TCPStore
// rendezvous, a process group (Gloo for CPU tensors, NCCL for CUDA ones),
// broadcast, all-reduce, barrier, and c10d's Reducer (the bucketed
// all-reduce overlapped with backward that PyTorch's
// DistributedDataParallel runs on). The setup compiles it with
// dskd_c10d_config.h, which says which backends the libtorch at hand can
// give; without any, every function reports "distributed training is not
// available: <why>" through gotch's last-error slot.
//
// Tensors are gotch's handles (torch::Tensor *), passed as void *. Every
// blocking call gives up after the group's timeout with an error; a peer
// that dies makes the others' next collective fail (Gloo: at once, when
// its connections close).
#ifndef DSKD_C10D_H
#define DSKD_C10D_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Backend codes.
#define DSKD_DIST_GLOO 1
#define DSKD_DIST_NCCL 2

// dskd_dist_backends returns the backends compiled in (a bit set of the
// codes above) and, in *missing, why the others are not (a static string,
// "" when all are there).
int dskd_dist_backends(const char **missing);

typedef void *dskd_dist_group;
typedef void *dskd_dist_reducer;

// dskd_dist_group_new meets the other world_size - 1 processes at
// master_addr:master_port (rank 0 serves the TCPStore there) and returns a
// process group of backend, or NULL with an error. A peer that does not
// arrive within timeout_ms is an error. gloo_host, when not empty, is the
// address Gloo binds to (else GLOO_SOCKET_IFNAME's interface, else the
// loopback when master_addr is a loopback address, else the host's name).
dskd_dist_group dskd_dist_group_new(const char *master_addr, int master_port, int rank, int world_size,
                                    int backend, int64_t timeout_ms, const char *gloo_host);
void dskd_dist_group_free(dskd_dist_group g);

// Collectives, blocking until done. Broadcast copies root's tensors into
// everybody's (coalesced into few messages); all-reduce sums the tensors
// in place across ranks, then divides by the world size when average.
void dskd_dist_broadcast(dskd_dist_group g, void **tensors, int n, int root);
void dskd_dist_allreduce(dskd_dist_group g, void **tensors, int n, bool average);
void dskd_dist_barrier(dskd_dist_group g);

// dskd_dist_reducer_new hooks c10d's Reducer onto params (leaves that
// require grad): from then on every backward pass that follows
// dskd_dist_reducer_before_backward averages their gradients across ranks,
// bucket by bucket (bucket_bytes; 0: PyTorch's 25 MiB) while backward
// runs. find_unused: parameters that get no gradient in a step (a graph
// that does not use them) are allowed, at the price of a walk of the
// graph each step.
dskd_dist_reducer dskd_dist_reducer_new(dskd_dist_group g, void **params, int n, int64_t bucket_bytes, bool find_unused);
void dskd_dist_reducer_free(dskd_dist_reducer r);
// Call before the forward pass whose loss will be back-propagated, then
// with the outputs (the loss) before backward.
void dskd_dist_reducer_before_forward(dskd_dist_reducer r);
void dskd_dist_reducer_before_backward(dskd_dist_reducer r, void **outputs, int n);

#ifdef __cplusplus
}
#endif

#endif
