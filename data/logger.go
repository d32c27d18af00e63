package data

import (
	"sync/atomic"

	"github.com/rs/zerolog"
)

var logger atomic.Pointer[zerolog.Logger]

func init() {
	nop := zerolog.Nop()
	logger.Store(&nop)
}

// SetLogger sets the logger used for conversions and warnings (non-binary masks,
// 0/1 masks, colour images, skipped files). The default discards everything.
// It is safe to call concurrently with loading.
func SetLogger(l zerolog.Logger) { logger.Store(&l) }

func log() *zerolog.Logger { return logger.Load() }
