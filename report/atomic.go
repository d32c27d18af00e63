package report

import (
	"fmt"
	"io"

	"github.com/angioseg/dskd/internal/atomicfile"
)

// writeAtomic writes path through atomicfile (temporary file, fsync,
// rename), so readers never see a half-written file. Errors are prefixed
// "report: <path>: ".
func writeAtomic(path string, write func(w io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
