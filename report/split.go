package report

import (
	"encoding/json"
	"io"

	"github.com/angioseg/dskd/data"
)

// File names inside a run folder that this package writes or reads.
const (
	SplitFile  = "split.json"  // SplitInfo, written by the trainer
	ReportFile = "report.html" // WriteHTML's page
)

// SplitInfo records which samples a run used, by Sample.Name, and the
// samples a data check left out.
type SplitInfo struct {
	Train    []string   `json:"train"`
	Val      []string   `json:"val"`
	Test     []string   `json:"test"`
	Excluded []Excluded `json:"excluded,omitempty"`
}

// Excluded is one sample left out of training because a file of it is
// unusable.
type Excluded struct {
	Split   string `json:"split"`   // "train", "val" or "test"
	Name    string `json:"name"`    // Sample.Name
	Problem string `json:"problem"` // the error, naming the file
}

// NewSplitInfo lists the names of s's samples and the problems of the
// samples left out.
func NewSplitInfo(s data.Split, left []data.Problem) SplitInfo {
	info := SplitInfo{Train: sampleNames(s.Train), Val: sampleNames(s.Val), Test: sampleNames(s.Test)}
	for _, p := range left {
		info.Excluded = append(info.Excluded, Excluded{Split: p.Split, Name: p.Sample.Name, Problem: p.Err.Error()})
	}
	return info
}

func sampleNames(s []data.Sample) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.Name
	}
	return out
}

// WriteSplitJSON writes info as indented JSON to path, atomically.
func WriteSplitJSON(path string, info SplitInfo) error {
	return writeAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	})
}
