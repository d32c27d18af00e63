package dskd

import (
	"errors"
	"fmt"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/metrics"
)

// Ensemble predicts with several models at once: the mean of their
// vessel probabilities, binarised at one threshold. Typical members are
// the seeds of one cross-validation fold (the fold's score of a
// seed ensemble) or the fold models of a whole cross-validation (for
// new images, as nnU-Net predicts).
//
// Each member keeps its own normalisation, inference options and locked
// Worker; the members run one after the other.
type Ensemble struct {
	members   []*Predictor
	threshold float64
}

// NewEnsemble takes ownership of members (at least one): Close closes
// them. threshold binarises the mean probability; 0 means the mean of the
// members' thresholds (with one member, exactly its threshold).
func NewEnsemble(members []*Predictor, threshold float64) (*Ensemble, error) {
	if len(members) == 0 {
		return nil, errors.New("dskd: an ensemble needs at least one model")
	}
	if threshold < 0 || threshold >= 1 {
		return nil, fmt.Errorf("dskd: ensemble threshold %v: want a value in (0,1), or 0 for the members' mean", threshold)
	}
	if threshold == 0 {
		for _, m := range members {
			threshold += m.Threshold()
		}
		threshold /= float64(len(members))
	}
	return &Ensemble{members: members, threshold: threshold}, nil
}

// LoadEnsemble loads each path with LoadPredictor (a run folder or a
// checkpoint folder) and makes them one Ensemble; opts.Threshold, when
// set, is the ensemble's threshold. On an error the models already
// loaded are closed.
func LoadEnsemble(paths []string, opts PredictOptions) (*Ensemble, error) {
	members := make([]*Predictor, 0, len(paths))
	for _, path := range paths {
		p, err := LoadPredictor(path, opts)
		if err != nil {
			closeAll(members)
			return nil, err
		}
		members = append(members, p)
	}
	e, err := NewEnsemble(members, opts.Threshold)
	if err != nil {
		closeAll(members)
	}
	return e, err
}

func closeAll(ps []*Predictor) {
	for _, p := range ps {
		p.Close()
	}
}

// Members are the ensemble's predictors, in the order given.
func (e *Ensemble) Members() []*Predictor { return e.members }

// Threshold is the binarisation threshold of the mean probability.
func (e *Ensemble) Threshold() float64 { return e.threshold }

// Close releases every member.
func (e *Ensemble) Close() { closeAll(e.members) }

// Predict returns the members' mean vessel probability of every pixel of
// img (values in [0,1], any size).
func (e *Ensemble) Predict(img *data.Image) ([]float32, error) {
	var sum []float32
	for i, m := range e.members {
		p, err := m.Predict(img)
		if err != nil {
			return nil, fmt.Errorf("dskd: ensemble member %d: %w", i+1, err)
		}
		sum = addInto(sum, p)
	}
	meanInPlace(sum, len(e.members))
	return sum, nil
}

// PredictFile predicts one image file and writes the same three PNGs as
// Predictor.PredictFile, from the mean probability.
func (e *Ensemble) PredictFile(path, outDir string) (Outputs, error) {
	return predictFile(path, outDir, e.Predict, e.threshold)
}

// Evaluate scores the mean probability on labelled samples (per image and
// pooled) at the ensemble's threshold.
func (e *Ensemble) Evaluate(samples []data.Sample, clDice bool) (metrics.Result, error) {
	mean, err := e.evaluation(samples)
	if err != nil {
		return metrics.Result{}, err
	}
	return mean.score(float32(e.threshold), clDice)
}

// PickThreshold sets the ensemble's threshold to the one that maximises
// the pooled Dice of its mean probability on val, as training's
// pick_threshold does for one model, and returns it with that Dice. val
// must be validation samples: a threshold picked on the images it is then
// scored on flatters the score.
func (e *Ensemble) PickThreshold(val []data.Sample) (threshold, valDice float64, err error) {
	if len(val) == 0 {
		return 0, 0, errors.New("dskd: ensemble threshold: no validation samples to pick it on")
	}
	mean, err := e.evaluation(val)
	if err != nil {
		return 0, 0, err
	}
	th, score, err := metrics.SelectThresholdOnValidation(mean.probs, mean.masks, metrics.ThresholdSearch{Metric: metrics.MetricDice})
	if err != nil {
		return 0, 0, fmt.Errorf("dskd: ensemble threshold: %w", err)
	}
	e.threshold = widenThreshold(th)
	return e.threshold, score, nil
}

// evaluation predicts samples with every member and keeps the mean
// probability of each.
func (e *Ensemble) evaluation(samples []data.Sample) (*evaluation, error) {
	var mean *evaluation
	for i, m := range e.members {
		ev, err := m.evaluation(samples)
		if err != nil {
			return nil, fmt.Errorf("dskd: ensemble member %d: %w", i+1, err)
		}
		if mean == nil {
			mean = ev
			continue
		}
		for j, probs := range ev.probs {
			mean.probs[j] = addInto(mean.probs[j], probs)
		}
	}
	for _, probs := range mean.probs {
		meanInPlace(probs, len(e.members))
	}
	return mean, nil
}

// addInto adds the map p into sum and returns sum; the first map (sum
// nil) is taken as it is.
func addInto(sum, p []float32) []float32 {
	if sum == nil {
		return p
	}
	for i, v := range p {
		sum[i] += v
	}
	return sum
}

// meanInPlace divides a sum of n maps by n; one map is left untouched, so
// an ensemble of one predicts exactly as its member.
func meanInPlace(sum []float32, n int) {
	if n == 1 {
		return
	}
	inv := 1 / float32(n)
	for i := range sum {
		sum[i] *= inv
	}
}
