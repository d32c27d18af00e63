package metrics

import (
	"fmt"
	"math"
	"slices"
)

// scoreSet keeps the probabilities of positive and negative pixels so
// that AUC can be computed exactly.
type scoreSet struct {
	pos, neg []float32
}

// add appends the in-FOV pixels of one image. Inputs must be validated.
func (s *scoreSet) add(probs, mask, fov []float32) error {
	var np, nn int
	for i, m := range mask {
		if fov == nil || maskOn(fov[i]) {
			if maskOn(m) {
				np++
			} else {
				nn++
			}
		}
	}
	s.pos = slices.Grow(s.pos, np)
	s.neg = slices.Grow(s.neg, nn)
	for i, p := range probs {
		if fov != nil && !maskOn(fov[i]) {
			continue
		}
		if p != p {
			return fmt.Errorf("metrics: probs[%d] is NaN", i)
		}
		if p == 0 {
			p = 0 // turn -0 into +0 so the radix order matches ==
		}
		if maskOn(mask[i]) {
			s.pos = append(s.pos, p)
		} else {
			s.neg = append(s.neg, p)
		}
	}
	return nil
}

// auc sorts the stored scores in place and returns the exact AUC.
func (s *scoreSet) auc() float64 {
	sortFloat32(s.pos)
	sortFloat32(s.neg)
	return aucSorted(s.pos, s.neg)
}

// aucSorted returns P(score_pos > score_neg) + 0.5 P(score_pos == score_neg)
// over all positive/negative pairs, i.e. the Mann–Whitney U statistic
// with average ranks for ties, divided by |pos|·|neg|. Both slices must
// be sorted ascending. It is NaN when either class is empty.
func aucSorted(pos, neg []float32) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return math.NaN()
	}
	var u2 int64 // 2·U, exact in integers
	lo, hi := 0, 0
	for i := 0; i < len(pos); {
		v := pos[i]
		j := i
		for j < len(pos) && pos[j] == v {
			j++
		}
		for lo < len(neg) && neg[lo] < v {
			lo++
		}
		if hi < lo {
			hi = lo
		}
		for hi < len(neg) && neg[hi] == v {
			hi++
		}
		// each of the j-i positives beats lo negatives and ties hi-lo.
		u2 += int64(j-i) * int64(2*lo+(hi-lo))
		i = j
	}
	return float64(u2) / (2 * float64(len(pos)) * float64(len(neg)))
}

// AUC returns the exact area under the ROC curve of probs against mask,
// over the pixels inside fov (nil: all pixels). Ties between a positive
// and a negative pixel count one half (average ranks, Mann–Whitney U).
// The result is NaN when the counted pixels hold only one class. It
// sorts copies of the scores with a radix sort, O(n) time and memory.
func AUC(probs, mask, fov []float32) (float64, error) {
	if err := checkInputs(probs, mask, fov); err != nil {
		return math.NaN(), err
	}
	var s scoreSet
	if err := s.add(probs, mask, fov); err != nil {
		return math.NaN(), err
	}
	return s.auc(), nil
}

// ROCHistogram approximates AUC in constant memory by binning
// probabilities into Bins equal-width bins over [0, 1] (values outside
// are clamped to the end bins). Pairs in different bins are ordered
// correctly; a positive/negative pair in the same bin is counted as a
// tie (1/2), so the error is at most half the fraction of pairs that
// share a bin — AUC returns that bound alongside the estimate. With
// 2^16 bins and probabilities spread over [0, 1] it is typically < 1e-4.
type ROCHistogram struct {
	pos, neg []int64
}

// DefaultHistogramBins is 2^16.
const DefaultHistogramBins = 1 << 16

// NewROCHistogram makes a histogram with the given number of bins (>= 1).
func NewROCHistogram(bins int) (*ROCHistogram, error) {
	if bins < 1 {
		return nil, fmt.Errorf("metrics: histogram needs at least 1 bin, got %d", bins)
	}
	return &ROCHistogram{pos: make([]int64, bins), neg: make([]int64, bins)}, nil
}

// Add counts the in-FOV pixels of one image (fov may be nil).
func (h *ROCHistogram) Add(probs, mask, fov []float32) error {
	if err := checkInputs(probs, mask, fov); err != nil {
		return err
	}
	// validate first so a failed Add leaves the histogram unchanged
	for i, p := range probs {
		if p != p && (fov == nil || maskOn(fov[i])) {
			return fmt.Errorf("metrics: probs[%d] is NaN", i)
		}
	}
	nb := len(h.pos)
	scale := float64(nb)
	for i, p := range probs {
		if fov != nil && !maskOn(fov[i]) {
			continue
		}
		var b int
		switch f := float64(p); {
		case f <= 0:
			b = 0
		case f >= 1:
			b = nb - 1
		default:
			b = min(int(f*scale), nb-1)
		}
		if maskOn(mask[i]) {
			h.pos[b]++
		} else {
			h.neg[b]++
		}
	}
	return nil
}

// AUC returns the histogram estimate and a bound on its absolute error.
// Both are NaN when only one class has been seen.
func (h *ROCHistogram) AUC() (auc, errBound float64) {
	var np, nn int64
	for b := range h.pos {
		np += h.pos[b]
		nn += h.neg[b]
	}
	if np == 0 || nn == 0 {
		return math.NaN(), math.NaN()
	}
	var u, same float64
	var below int64
	for b := range h.pos {
		p, n := float64(h.pos[b]), float64(h.neg[b])
		u += p * (float64(below) + 0.5*n)
		same += p * n
		below += h.neg[b]
	}
	pairs := float64(np) * float64(nn)
	return u / pairs, 0.5 * same / pairs
}
