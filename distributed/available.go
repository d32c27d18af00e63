package distributed

import (
	"errors"
	"strings"

	"github.com/angioseg/dskd/internal/aten"
)

// Backends lists the backends the linked libtorch gives here (as the
// setup found them: "gloo", "nccl") and why the others are missing.
func Backends() (available []string, missing string) {
	have, why := aten.DistBackends()
	for _, b := range have {
		available = append(available, string(b))
	}
	return available, why
}

// Available returns nil when backend can be used, else an error saying why
// not ("distributed training with gloo is not available: ...").
func Available(backend string) error {
	if err := aten.DistAvailable(aten.DistBackend(backend)); err != nil {
		return errors.New("dist: " + strings.TrimPrefix(err.Error(), "aten: "))
	}
	return nil
}
