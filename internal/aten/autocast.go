package aten

import (
	"fmt"

	"github.com/sugarme/gotch"
	lib "github.com/sugarme/gotch/libtch"
)

// shimVersion is the version of dskd's C shim (internal/tooling/setup/shim) this
// package is written against; an older prepared gotch copy lacks it and
// the setup rebuilds it (its revision changed with the shim).
const shimVersion = 4

// CheckShim reports whether the prepared gotch copy carries dskd's C shim
// of the expected version.
func CheckShim() error {
	if v := lib.DskdShimVersion(); v != shimVersion {
		return fmt.Errorf("aten: dskd's C shim is version %d, want %d: run `go run ./cmd/dskd-setup` again", v, shimVersion)
	}
	return nil
}

// Autocast runs fn with libtorch's automatic mixed precision on the calling
// thread: ops autocast covers (convolutions, matrix products) run in dtype
// (gotch.BFloat16 or gotch.Half) on device, precision-sensitive ones stay
// in float32, as torch.autocast does. The previous state is restored after
// fn, even if it panics. Call it on a Worker.
func Autocast(device gotch.Device, dtype gotch.DType, fn func() error) error {
	if dtype != gotch.BFloat16 && dtype != gotch.Half {
		return fmt.Errorf("aten: autocast dtype %v: want BFloat16 or Half", dtype)
	}
	dev := 0
	if device.IsCuda() {
		dev = 1
	}
	prevOn, prevDtype := lib.DskdAutocastEnter(dev, int(dtype.CInt()))
	if err := lastError("autocast enter"); err != nil {
		return err
	}
	defer func() {
		lib.DskdAutocastLeave(dev, prevOn, prevDtype)
		_ = lastError("autocast leave") // restoring cannot fail for valid saved state
	}()
	return fn()
}

// AutocastEnabled reports whether autocast is on for device on this thread.
func AutocastEnabled(device gotch.Device) bool {
	if device.IsCuda() {
		return lib.DskdAutocastEnabled(1)
	}
	return lib.DskdAutocastEnabled(0)
}
