package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/internal/aten"
)

// CUDAAvailable reports whether the linked libtorch has CUDA and sees a GPU.
func CUDAAvailable() bool { return aten.CUDAAvailable() }

// CUDADeviceCount is the number of visible GPUs (0 without CUDA).
func CUDADeviceCount() int { return aten.CUDADeviceCount() }

// ParseDevice turns a device name into a gotch device: "" or "auto" (CUDA:0
// if available, else CPU), "cpu", "cuda" (= cuda:0) or "cuda:N". Asking for
// a GPU that is not there is an error that says why.
func ParseDevice(name string) (gotch.Device, error) {
	s := strings.ToLower(strings.TrimSpace(name))
	switch {
	case s == "" || s == "auto":
		if CUDAAvailable() {
			return gotch.CudaBuilder(0), nil
		}
		return gotch.CPU, nil
	case s == "cpu":
		return gotch.CPU, nil
	case s == "cuda" || strings.HasPrefix(s, "cuda:"):
		idx := 0
		if rest, ok := strings.CutPrefix(s, "cuda:"); ok {
			n, err := strconv.Atoi(rest)
			if err != nil || n < 0 {
				return gotch.CPU, fmt.Errorf("engine: device %q: the index after cuda: must be a number >= 0", name)
			}
			idx = n
		}
		if !CUDAAvailable() {
			return gotch.CPU, fmt.Errorf("engine: device %q: CUDA is not available (the linked libtorch is CPU-only or no GPU is visible; `go run ./cmd/dskd-setup --print` shows which libtorch is linked)", name)
		}
		if n := CUDADeviceCount(); idx >= n {
			return gotch.CPU, fmt.Errorf("engine: device %q: only %d CUDA device(s) visible", name, n)
		}
		return gotch.CudaBuilder(uint(idx)), nil
	}
	return gotch.CPU, fmt.Errorf("engine: device %q: want auto, cpu, cuda or cuda:N", name)
}

// DeviceName renders a device the way ParseDevice reads it.
func DeviceName(d gotch.Device) string { return aten.DeviceName(d) }
