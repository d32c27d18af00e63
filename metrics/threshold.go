package metrics

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// ThresholdSearch configures SelectThresholdOnValidation.
type ThresholdSearch struct {
	// Metric to maximize; "" means MetricDice. Only confusion-count
	// metrics (dice, iou, accuracy, sensitivity, specificity, precision)
	// are accepted.
	Metric Metric
	// Candidates to try; empty means DefaultCandidates(). A pixel is
	// positive at candidate t when p >= t.
	Candidates []float32
	// PerImageMean scores each candidate by the mean over images (NaN
	// skipped); false (the default) scores it on pooled counts.
	PerImageMean bool
	// ZeroDivision is the 0/0 policy (default ZeroDivOne).
	ZeroDivision ZeroDivision
	// FOVs optionally holds one field-of-view mask per image (nil
	// entries, or a nil slice, mean the whole image).
	FOVs [][]float32
}

// DefaultCandidates returns 0.01, 0.02, ..., 0.99.
func DefaultCandidates() []float32 {
	c := make([]float32, 99)
	for i := range c {
		c[i] = float32(i+1) / 100
	}
	return c
}

// SelectThresholdOnValidation picks the candidate threshold that
// maximizes s.Metric on a VALIDATION set and returns it with its score.
// Never call it on the test set: a threshold tuned on test images
// inflates every reported number. Ties go to the lowest threshold.
//
// It bins each pixel once against the sorted candidates, so its cost is
// O(pixels · log(candidates)), not pixels × candidates.
func SelectThresholdOnValidation(valProbs, valMasks [][]float32, s ThresholdSearch) (threshold float32, score float64, err error) {
	if len(valProbs) != len(valMasks) {
		return 0, 0, fmt.Errorf("metrics: %d probability maps but %d masks", len(valProbs), len(valMasks))
	}
	if len(valProbs) == 0 {
		return 0, 0, fmt.Errorf("metrics: no validation images")
	}
	if s.FOVs != nil && len(s.FOVs) != len(valProbs) {
		return 0, 0, fmt.Errorf("metrics: %d probability maps but %d fovs", len(valProbs), len(s.FOVs))
	}
	if _, err := fromCounts(s.Metric, Confusion{}, s.ZeroDivision); err != nil {
		return 0, 0, err
	}
	cands := slices.Clone(s.Candidates)
	if len(cands) == 0 {
		cands = DefaultCandidates()
	}
	for _, c := range cands {
		if err := checkThreshold(c); err != nil {
			return 0, 0, err
		}
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	nc := len(cands)

	pooled := make([]Confusion, nc)
	sums := make([]float64, nc)
	counts := make([]int, nc)
	pos := make([]int64, nc+1)
	neg := make([]int64, nc+1)
	for img, probs := range valProbs {
		var fov []float32
		if s.FOVs != nil {
			fov = s.FOVs[img]
		}
		if err := checkInputs(probs, valMasks[img], fov); err != nil {
			return 0, 0, fmt.Errorf("%w (image %d)", err, img)
		}
		clear(pos)
		clear(neg)
		for i, p := range probs {
			if fov != nil && !maskOn(fov[i]) {
				continue
			}
			if p != p {
				return 0, 0, fmt.Errorf("metrics: probs[%d] is NaN (image %d)", i, img)
			}
			// k = number of candidates <= p; positive for candidates j < k
			k := sort.Search(nc, func(j int) bool { return cands[j] > p })
			if maskOn(valMasks[img][i]) {
				pos[k]++
			} else {
				neg[k]++
			}
		}
		var np, nn int64
		for k := range pos {
			np += pos[k]
			nn += neg[k]
		}
		var tp, fp int64 // pixels with k > j
		for j := nc - 1; j >= 0; j-- {
			tp += pos[j+1]
			fp += neg[j+1]
			c := Confusion{TP: tp, FP: fp, TN: nn - fp, FN: np - tp}
			pooled[j] = pooled[j].Add(c)
			if v, _ := fromCounts(s.Metric, c, s.ZeroDivision); !math.IsNaN(v) {
				sums[j] += v
				counts[j]++
			}
		}
	}
	best, bestScore := -1, math.Inf(-1)
	for j := range cands {
		var v float64
		if s.PerImageMean {
			if counts[j] == 0 {
				continue
			}
			v = sums[j] / float64(counts[j])
		} else {
			v, _ = fromCounts(s.Metric, pooled[j], s.ZeroDivision)
		}
		if v > bestScore { // strict: ties keep the lower threshold
			best, bestScore = j, v
		}
	}
	if best < 0 {
		return 0, math.NaN(), fmt.Errorf("metrics: no candidate threshold gave a defined %s", metricName(s.Metric))
	}
	return cands[best], bestScore, nil
}

func metricName(m Metric) string {
	if m == "" {
		return string(MetricDice)
	}
	return string(m)
}
