package study

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/angioseg/dskd/internal/atomicfile"
)

// writeJSON writes v to path atomically (a crash leaves the old file or the new one).
func writeJSON(path string, v any) error {
	if err := atomicfile.WriteJSON(path, v); err != nil {
		return fmt.Errorf("study: %w", err)
	}
	return nil
}

// writeFile writes path atomically with write.
func writeFile(path string, write func(w io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("study: %w", err)
	}
	return nil
}

// readJSONFile reads path into v; a missing file is returned as is
// (errors.Is(err, os.ErrNotExist)).
func readJSONFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("study: %s: %w", path, err)
	}
	return nil
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
