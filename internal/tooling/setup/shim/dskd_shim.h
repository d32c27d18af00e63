// dskd's own C API to libtorch, next to gotch's (torch_api.h): what gotch
// does not wrap. The setup copies this folder into its prepared gotch copy
// (libtch/), so it is compiled with gotch's flags for the libtorch at hand.
// Every function reports a C++ exception through gotch's thread-local
// last-error slot (get_and_reset_last_err), like gotch's own wrappers.
#ifndef DSKD_SHIM_H
#define DSKD_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// dskd_shim_version is the version of this API, checked by internal/aten.
int dskd_shim_version(void);

// Autocast (mixed precision) on the calling thread. device: 0 CPU, 1 CUDA;
// dtype: a gotch/ATen ScalarType code (5 half, 15 bfloat16). Entering
// increments libtorch's nesting count and enables autocast for the device
// with dtype; leaving restores the previous state and clears the cast cache
// when the outermost region ends (what torch.autocast's context does).
void dskd_autocast_enter(int device, int dtype, bool *prev_enabled, int *prev_dtype);
void dskd_autocast_leave(int device, bool prev_enabled, int prev_dtype);
bool dskd_autocast_enabled(int device);

// cuDNN's process-wide switches (torch.backends.cudnn.deterministic and
// .allow_tf32). They are flags in libtorch's global context, so setting
// them works with any libtorch; they only change what CUDA runs.
void dskd_cudnn_set_deterministic(bool on);
bool dskd_cudnn_deterministic(void);
void dskd_cudnn_set_allow_tf32(bool on);
bool dskd_cudnn_allow_tf32(void);

// dskd_save_named_bytes writes n tensors, named, as the torch archive
// at_save_multi writes to a file (what torch::jit::load and gotch's
// VarStore.Load read), but into memory: *data is a malloc'd buffer of
// *len bytes that the caller frees. The file is then written by Go, so a
// full disk or a read-only folder is an error there, not an exception in
// the zip writer's destructor (which aborts the process).
void dskd_save_named_bytes(void **tensors, char **names, int n, char **data, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
