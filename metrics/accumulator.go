package metrics

import (
	"fmt"
	"math"
)

// ImageResult holds the scores of one image.
type ImageResult struct {
	Name   string
	Counts Confusion
	// ClDiceCounts is zero when clDice is disabled.
	ClDiceCounts ClDiceCounts
	Scores       Scores
	AUC          float64 // exact; NaN when the image has one class only
	ClDice       float64 // NaN when clDice is disabled
}

// Value returns the image's score for m (NaN for an unknown metric).
func (r ImageResult) Value(m Metric) float64 {
	switch m {
	case MetricDice:
		return r.Scores.Dice
	case MetricIoU:
		return r.Scores.IoU
	case MetricAccuracy:
		return r.Scores.Accuracy
	case MetricSensitivity:
		return r.Scores.Sensitivity
	case MetricSpecificity:
		return r.Scores.Specificity
	case MetricPrecision:
		return r.Scores.Precision
	case MetricAUC:
		return r.AUC
	case MetricClDice:
		return r.ClDice
	}
	return math.NaN()
}

// Accumulator gathers per-image results over a data set. Use
// NewAccumulator; the zero value is not ready. It is not safe for
// concurrent use.
type Accumulator struct {
	threshold float32
	zd        ZeroDivision
	clDice    bool
	hist      *ROCHistogram // nil: exact pooled AUC
	pooled    scoreSet
	counts    Confusion
	clCounts  ClDiceCounts
	images    []ImageResult
}

// Option configures an Accumulator.
type Option func(*Accumulator) error

// WithThreshold sets the threshold (default 0.5; positive when p >= t).
func WithThreshold(t float32) Option {
	return func(a *Accumulator) error {
		if err := checkThreshold(t); err != nil {
			return err
		}
		a.threshold = t
		return nil
	}
}

// WithZeroDivision sets the 0/0 policy (default ZeroDivOne).
func WithZeroDivision(z ZeroDivision) Option {
	return func(a *Accumulator) error {
		if z < ZeroDivOne || z > ZeroDivNaN {
			return fmt.Errorf("metrics: unknown zero-division policy %d", int(z))
		}
		a.zd = z
		return nil
	}
}

// WithClDice turns clDice on (the default) or off; skeletonizing costs
// a few passes over each image.
func WithClDice(on bool) Option {
	return func(a *Accumulator) error { a.clDice = on; return nil }
}

// WithAUCHistogram makes the pooled AUC use a ROCHistogram with the
// given number of bins (constant memory, error bound reported in
// Result.AUCErrorBound) instead of keeping every pixel score (exact,
// 4 bytes per pixel). Per-image AUC is always exact.
func WithAUCHistogram(bins int) Option {
	return func(a *Accumulator) error {
		h, err := NewROCHistogram(bins)
		a.hist = h
		return err
	}
}

// NewAccumulator returns an empty accumulator.
func NewAccumulator(opts ...Option) (*Accumulator, error) {
	a := &Accumulator{threshold: DefaultThreshold, zd: ZeroDivOne, clDice: true}
	for _, o := range opts {
		if err := o(a); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Add scores one H x W image (row-major probs and 0/1 mask).
func (a *Accumulator) Add(name string, probs, mask []float32, h, w int) error {
	return a.AddFOV(name, probs, mask, nil, h, w)
}

// AddFOV is Add with a field-of-view mask (nil: whole image); pixels
// outside it are ignored by every metric. On error nothing is recorded.
func (a *Accumulator) AddFOV(name string, probs, mask, fov []float32, h, w int) error {
	if err := checkInputs(probs, mask, fov); err != nil {
		return fmt.Errorf("%w (image %q)", err, name)
	}
	if err := checkShape(len(probs), h, w); err != nil {
		return fmt.Errorf("%w (image %q)", err, name)
	}
	c, err := Count(probs, mask, fov, a.threshold)
	if err != nil {
		return fmt.Errorf("%w (image %q)", err, name)
	}
	var s scoreSet
	if err := s.add(probs, mask, fov); err != nil {
		return err
	}
	r := ImageResult{Name: name, Counts: c, Scores: c.Scores(a.zd), AUC: s.auc(), ClDice: math.NaN()}
	if a.clDice {
		cl, err := ClDiceCount(probs, mask, fov, h, w, a.threshold)
		if err != nil {
			return fmt.Errorf("%w (image %q)", err, name)
		}
		r.ClDiceCounts, r.ClDice = cl, cl.ClDice(a.zd)
	}
	if a.hist != nil {
		if err := a.hist.Add(probs, mask, fov); err != nil {
			return err
		}
	} else {
		a.pooled.pos = append(a.pooled.pos, s.pos...)
		a.pooled.neg = append(a.pooled.neg, s.neg...)
	}
	a.counts = a.counts.Add(c)
	a.clCounts = a.clCounts.Add(r.ClDiceCounts)
	a.images = append(a.images, r)
	return nil
}

// Len is the number of images added.
func (a *Accumulator) Len() int { return len(a.images) }

// Result summarizes what has been added so far. Pooled values come from
// the summed counts (and, for AUC, all in-FOV pixels together); means and
// sample standard deviations are over images, skipping NaN.
func (a *Accumulator) Result() Result {
	r := Result{
		Threshold:    a.threshold,
		ZeroDivision: a.zd,
		AUCMethod:    "exact",
		Pooled:       a.counts,
		PooledClDice: a.clCounts,
		ClDice:       a.clDice,
		Images:       append([]ImageResult(nil), a.images...),
	}
	ps := a.counts.Scores(a.zd)
	var pooledAUC float64
	if a.hist != nil {
		r.AUCMethod = fmt.Sprintf("histogram-%d", len(a.hist.pos))
		pooledAUC, r.AUCErrorBound = a.hist.AUC()
	} else {
		pooledAUC = a.pooled.auc()
	}
	pooledClDice := math.NaN()
	if a.clDice {
		pooledClDice = a.clCounts.ClDice(a.zd)
	}
	pooled := map[Metric]float64{
		MetricDice: ps.Dice, MetricIoU: ps.IoU, MetricAccuracy: ps.Accuracy,
		MetricSensitivity: ps.Sensitivity, MetricSpecificity: ps.Specificity,
		MetricPrecision: ps.Precision, MetricAUC: pooledAUC, MetricClDice: pooledClDice,
	}
	vals := make([]float64, len(a.images))
	for _, m := range AllMetrics {
		for i, im := range a.images {
			vals[i] = im.Value(m)
		}
		mean, std, n := MeanStd(vals)
		r.Summary = append(r.Summary, Summary{Metric: m, Pooled: pooled[m], Mean: mean, Std: std, N: n})
	}
	return r
}
