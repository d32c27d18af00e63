package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/report"
)

// runSplitSamples returns the samples of part ("test" or "val") that the
// run's split.json names, looked up by name among pool, in split.json's
// order.
func runSplitSamples(runDir, part string, pool []data.Sample) ([]data.Sample, error) {
	file := filepath.Join(runDir, report.SplitFile)
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var info report.SplitInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	names := info.Test
	if part == "val" {
		names = info.Val
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s lists no %s samples", file, part)
	}
	byName := make(map[string]data.Sample, len(pool))
	for _, s := range pool {
		byName[s.Name] = s
	}
	out := make([]data.Sample, 0, len(names))
	for _, n := range names {
		s, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("%s names %s sample %q, which --data does not have", file, part, n)
		}
		out = append(out, s)
	}
	return out, nil
}
