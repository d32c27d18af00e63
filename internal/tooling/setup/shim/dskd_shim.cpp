// See dskd_shim.h. Compiled inside gotch's libtch package (the setup puts
// it there), against whatever libtorch the setup found: the API differences
// between libtorch versions are resolved here at compile time.
#include <ATen/autocast_mode.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "dskd_shim.h"

// gotch's thread-local error slot (torch_api.h defines it; including that
// header a second time would define it twice), read by Go through
// get_and_reset_last_err after every call.
extern thread_local char *torch_last_err;

#define PROTECT(x)                                                             \
  try {                                                                        \
    x                                                                          \
  } catch (const std::exception &e) {                                          \
    torch_last_err = strdup(e.what());                                         \
  }

// libtorch 2.4 replaced the per-backend autocast functions with ones that
// take a device type; 1.x to 2.3 only have the per-backend ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define DSKD_AUTOCAST_BY_DEVICE 1
#endif

namespace {
c10::DeviceType autocast_device(int device) {
  return device == 1 ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
}

bool autocast_is_enabled(int device) {
#ifdef DSKD_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(autocast_device(device));
#else
  return device == 1 ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

at::ScalarType autocast_dtype(int device) {
#ifdef DSKD_AUTOCAST_BY_DEVICE
  return at::autocast::get_autocast_dtype(autocast_device(device));
#else
  return device == 1 ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void autocast_set(int device, bool enabled, at::ScalarType dtype) {
#ifdef DSKD_AUTOCAST_BY_DEVICE
  at::autocast::set_autocast_enabled(autocast_device(device), enabled);
  at::autocast::set_autocast_dtype(autocast_device(device), dtype);
#else
  if (device == 1) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}
} // namespace

int dskd_shim_version(void) { return 4; }

void dskd_autocast_enter(int device, int dtype, bool *prev_enabled, int *prev_dtype) {
  PROTECT(
    *prev_enabled = autocast_is_enabled(device);
    *prev_dtype = static_cast<int>(autocast_dtype(device));
    at::autocast::increment_nesting();
    autocast_set(device, true, static_cast<at::ScalarType>(dtype));
  )
}

void dskd_autocast_leave(int device, bool prev_enabled, int prev_dtype) {
  PROTECT(
    autocast_set(device, prev_enabled, static_cast<at::ScalarType>(prev_dtype));
    if (at::autocast::decrement_nesting() == 0) {
      at::autocast::clear_cache();
    }
  )
}

bool dskd_autocast_enabled(int device) {
  PROTECT(return autocast_is_enabled(device);)
  return false;
}

void dskd_cudnn_set_deterministic(bool on) { PROTECT(at::globalContext().setDeterministicCuDNN(on);) }

bool dskd_cudnn_deterministic(void) {
  PROTECT(return at::globalContext().deterministicCuDNN();)
  return false;
}

void dskd_cudnn_set_allow_tf32(bool on) { PROTECT(at::globalContext().setAllowTF32CuDNN(on);) }

bool dskd_cudnn_allow_tf32(void) {
  PROTECT(return at::globalContext().allowTF32CuDNN();)
  return false;
}

void dskd_save_named_bytes(void **tensors, char **names, int n, char **data, size_t *len) {
  *data = nullptr;
  *len = 0;
  PROTECT(
    torch::serialize::OutputArchive archive;
    for (int i = 0; i < n; ++i) {
      archive.write(std::string(names[i]), *static_cast<torch::Tensor *>(tensors[i]), /*buffer=*/false);
    }
    std::ostringstream out;
    archive.save_to(out);
    const std::string bytes = out.str();
    char *buf = static_cast<char *>(std::malloc(bytes.size() > 0 ? bytes.size() : 1));
    if (buf == nullptr) {
      throw std::runtime_error("out of memory for a serialised archive of " + std::to_string(bytes.size()) + " bytes");
    }
    std::memcpy(buf, bytes.data(), bytes.size());
    *data = buf;
    *len = bytes.size();
  )
}
