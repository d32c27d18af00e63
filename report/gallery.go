package report

import (
	"math"
	"sort"
)

// OverlayFileName is the file name (without folder) of a sample's overlay
// in a run folder: the sample name with path separators and spaces
// replaced by '_', plus ".png". WriteHTML finds overlays by it.
func OverlayFileName(sampleName string) string {
	b := []byte(sampleName)
	for i, c := range b {
		if c == '/' || c == '\\' || c == ' ' {
			b[i] = '_'
		}
	}
	return string(b) + ".png"
}

// WorstBest returns the indices of the k lowest and the k highest scores
// (each set at most k, together without repeats), lowest first. NaN
// scores take part in neither. k <= 0 returns none.
func WorstBest(scores []float64, k int) []int {
	if k <= 0 {
		return nil
	}
	var idx []int
	for i, s := range scores {
		if !math.IsNaN(s) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	if len(idx) <= 2*k {
		return idx
	}
	return append(idx[:k:k], idx[len(idx)-k:]...)
}
