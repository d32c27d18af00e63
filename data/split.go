package data

import "math/rand/v2"

// KFold splits samples into k folds after a seeded shuffle and returns fold
// `fold` (0-based) as Test and the other k-1 folds as Train. Fold sizes differ
// by at most one; over fold = 0..k-1 the Test sets are disjoint and cover all
// samples. The permutation depends only on seed and len(samples) (and the
// order of samples). Requires 2 <= k <= len(samples).
func KFold(samples []Sample, k, fold int, seed int64) (Split, error) {
	n := len(samples)
	if k < 2 || k > n {
		return Split{}, errorf("KFold: k=%d invalid for %d samples (want 2 <= k <= n)", k, n)
	}
	if fold < 0 || fold >= k {
		return Split{}, errorf("KFold: fold=%d out of range 0..%d", fold, k-1)
	}
	perm := newRand(uint64(seed), 0x6b666f6c64).Perm(n) // "kfold"
	lo, hi := fold*n/k, (fold+1)*n/k
	var s Split
	for i, p := range perm {
		if i >= lo && i < hi {
			s.Test = append(s.Test, samples[p])
		} else {
			s.Train = append(s.Train, samples[p])
		}
	}
	return s, nil
}

// WithValidation moves a seeded random subset of Train into Val and returns
// the new split; Test is untouched, so Val never overlaps Test. Exactly one of
// fraction (0 < fraction < 1, rounded to the nearest count, at least 1) or
// count (> 0) must be set. At least one sample must remain in Train. Train and
// Val keep their original relative order.
func (s Split) WithValidation(fraction float64, count int, seed int64) (Split, error) {
	n := len(s.Train)
	switch {
	case fraction != 0 && count != 0:
		return Split{}, errorf("WithValidation: set fraction (%g) or count (%d), not both", fraction, count)
	case fraction != 0:
		if !(fraction > 0 && fraction < 1) {
			return Split{}, errorf("WithValidation: fraction %g outside (0,1)", fraction)
		}
		count = max(1, int(fraction*float64(n)+0.5))
	case count < 0 || (count == 0 && fraction == 0):
		return Split{}, errorf("WithValidation: need fraction in (0,1) or count > 0, got fraction=%g count=%d", fraction, count)
	}
	if count >= n {
		return Split{}, errorf("WithValidation: validation count %d leaves no training samples (train has %d)", count, n)
	}
	if len(s.Val) > 0 {
		return Split{}, errorf("WithValidation: split already has %d validation samples", len(s.Val))
	}
	pick := map[int]bool{}
	for _, p := range newRand(uint64(seed), 0x76616c).Perm(n)[:count] { // "val"
		pick[p] = true
	}
	out := Split{Test: s.Test, Unlabelled: s.Unlabelled}
	for i, smp := range s.Train {
		if pick[i] {
			out.Val = append(out.Val, smp)
		} else {
			out.Train = append(out.Train, smp)
		}
	}
	return out, nil
}

// newRand returns a PCG generator seeded by mixing the given words with splitmix64.
func newRand(words ...uint64) *rand.Rand {
	a, b := uint64(0x9e3779b97f4a7c15), uint64(0xd1b54a32d192ed03)
	for _, w := range words {
		a = splitmix(a ^ w)
		b = splitmix(b + w)
	}
	return rand.New(rand.NewPCG(a, b))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
