package aten

/*
#include <stdlib.h>
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"

	lib "github.com/sugarme/gotch/libtch"
)

// lastError returns libtorch's pending error on this OS thread as a Go
// error naming op, or nil. gotch's C layer catches every C++ exception of
// an op and stores its message in a thread-local string (strdup'd), which
// is read, freed and cleared here.
func lastError(op string) error {
	p := unsafe.Pointer(lib.GetAndResetLastErr())
	if p == nil {
		return nil
	}
	msg := C.GoString((*C.char)(p))
	C.free(p)
	return fmt.Errorf("aten: %s: %s", op, trimTorchMessage(msg))
}

// trimTorchMessage keeps the first meaningful lines of a libtorch
// exception message, without the C++ backtrace libtorch appends.
func trimTorchMessage(msg string) string {
	if i := strings.Index(msg, "\nException raised from"); i >= 0 {
		msg = msg[:i]
	}
	if i := strings.Index(msg, "Exception raised from"); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(msg)
}
