package metrics

import (
	"fmt"
	"math"
)

// ZeroDivision says what a ratio is when its denominator is zero.
type ZeroDivision int

const (
	// ZeroDivOne makes 0/0 equal 1: nothing to find and nothing found is a
	// perfect answer. This is segmentation_models_pytorch's default
	// (zero_division=1.0) and the package default.
	ZeroDivOne ZeroDivision = iota
	// ZeroDivZero makes 0/0 equal 0 (scikit-learn's zero_division=0).
	ZeroDivZero
	// ZeroDivNaN makes 0/0 NaN; NaNs are skipped in per-image means
	// (MONAI's behaviour with ignore_empty / nanmean).
	ZeroDivNaN
)

// String names the policy ("one", "zero", "nan").
func (z ZeroDivision) String() string {
	switch z {
	case ZeroDivOne:
		return "one"
	case ZeroDivZero:
		return "zero"
	case ZeroDivNaN:
		return "nan"
	}
	return fmt.Sprintf("ZeroDivision(%d)", int(z))
}

func (z ZeroDivision) value() float64 {
	switch z {
	case ZeroDivZero:
		return 0
	case ZeroDivNaN:
		return math.NaN()
	}
	return 1
}

func ratio(num, den int64, z ZeroDivision) float64 {
	if den == 0 {
		return z.value()
	}
	return float64(num) / float64(den)
}

// Dice (= F1) is 2TP / (2TP + FP + FN).
func (c Confusion) Dice(z ZeroDivision) float64 { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN, z) }

// IoU (Jaccard) is TP / (TP + FP + FN).
func (c Confusion) IoU(z ZeroDivision) float64 { return ratio(c.TP, c.TP+c.FP+c.FN, z) }

// Accuracy is (TP + TN) / (TP + FP + TN + FN); zero only for an empty image/FOV.
func (c Confusion) Accuracy(z ZeroDivision) float64 { return ratio(c.TP+c.TN, c.Total(), z) }

// Sensitivity (recall, TPR) is TP / (TP + FN); 0/0 when the mask is empty.
func (c Confusion) Sensitivity(z ZeroDivision) float64 { return ratio(c.TP, c.TP+c.FN, z) }

// Specificity (TNR) is TN / (TN + FP); 0/0 when the mask is all vessel.
func (c Confusion) Specificity(z ZeroDivision) float64 { return ratio(c.TN, c.TN+c.FP, z) }

// Precision (PPV) is TP / (TP + FP); 0/0 when nothing is predicted.
func (c Confusion) Precision(z ZeroDivision) float64 { return ratio(c.TP, c.TP+c.FP, z) }

// Scores holds every threshold-dependent score of one confusion matrix.
type Scores struct {
	Dice        float64
	IoU         float64
	Accuracy    float64
	Sensitivity float64
	Specificity float64
	Precision   float64
}

// Scores computes all threshold-dependent scores under policy z.
func (c Confusion) Scores(z ZeroDivision) Scores {
	return Scores{
		Dice:        c.Dice(z),
		IoU:         c.IoU(z),
		Accuracy:    c.Accuracy(z),
		Sensitivity: c.Sensitivity(z),
		Specificity: c.Specificity(z),
		Precision:   c.Precision(z),
	}
}
