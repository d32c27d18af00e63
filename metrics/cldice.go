package metrics

// ClDiceCounts holds the skeleton overlaps clDice is built from
// (Shit et al., CVPR 2021). S(·) is the Zhang–Suen skeleton, V_P the
// predicted and V_L the ground-truth vessel pixels. Counts add up over
// images, which gives a pooled clDice.
type ClDiceCounts struct {
	SkelPred        int64 `json:"skel_pred"`          // |S(P)|
	SkelPredInLabel int64 `json:"skel_pred_in_label"` // |S(P) ∩ V_L|
	SkelLabel       int64 `json:"skel_label"`         // |S(L)|
	SkelLabelInPred int64 `json:"skel_label_in_pred"` // |S(L) ∩ V_P|
}

// Add returns the element-wise sum.
func (c ClDiceCounts) Add(o ClDiceCounts) ClDiceCounts {
	return ClDiceCounts{
		SkelPred:        c.SkelPred + o.SkelPred,
		SkelPredInLabel: c.SkelPredInLabel + o.SkelPredInLabel,
		SkelLabel:       c.SkelLabel + o.SkelLabel,
		SkelLabelInPred: c.SkelLabelInPred + o.SkelLabelInPred,
	}
}

// TopologyPrecision is |S(P) ∩ V_L| / |S(P)|; an empty predicted
// skeleton is 0/0 and follows z.
func (c ClDiceCounts) TopologyPrecision(z ZeroDivision) float64 {
	return ratio(c.SkelPredInLabel, c.SkelPred, z)
}

// TopologySensitivity is |S(L) ∩ V_P| / |S(L)|; an empty ground-truth
// skeleton is 0/0 and follows z.
func (c ClDiceCounts) TopologySensitivity(z ZeroDivision) float64 {
	return ratio(c.SkelLabelInPred, c.SkelLabel, z)
}

// ClDice is 2·Tprec·Tsens / (Tprec + Tsens). When both are 0 it is 0; a
// NaN from z propagates. So under ZeroDivOne: nothing predicted and
// nothing to find gives 1, and an empty skeleton on one side only gives
// 0 as soon as the other side has a skeleton pixel outside its mask.
func (c ClDiceCounts) ClDice(z ZeroDivision) float64 {
	p, s := c.TopologyPrecision(z), c.TopologySensitivity(z)
	if p+s == 0 {
		return 0
	}
	return 2 * p * s / (p + s)
}

// ClDiceCount thresholds probs (p >= threshold), binarizes mask
// (>= 0.5), clears everything outside fov (nil: whole image), skeletonizes
// both with Zhang–Suen and counts the overlaps.
func ClDiceCount(probs, mask, fov []float32, h, w int, threshold float32) (ClDiceCounts, error) {
	var c ClDiceCounts
	if err := checkInputs(probs, mask, fov); err != nil {
		return c, err
	}
	if err := checkShape(len(probs), h, w); err != nil {
		return c, err
	}
	if err := checkThreshold(threshold); err != nil {
		return c, err
	}
	pred := make([]bool, len(probs))
	label := make([]bool, len(probs))
	for i, p := range probs {
		if fov != nil && !maskOn(fov[i]) {
			continue
		}
		pred[i] = p >= threshold
		label[i] = maskOn(mask[i])
	}
	return ClDiceCountBinary(pred, label, h, w)
}

// ClDiceCountBinary counts skeleton overlaps of two binary images.
func ClDiceCountBinary(pred, label []bool, h, w int) (ClDiceCounts, error) {
	var c ClDiceCounts
	sp, err := Skeletonize(pred, h, w)
	if err != nil {
		return c, err
	}
	sl, err := Skeletonize(label, h, w)
	if err != nil {
		return c, err
	}
	for i := range sp {
		if sp[i] {
			c.SkelPred++
			if label[i] {
				c.SkelPredInLabel++
			}
		}
		if sl[i] {
			c.SkelLabel++
			if pred[i] {
				c.SkelLabelInPred++
			}
		}
	}
	return c, nil
}

// ClDice is ClDiceCount followed by ClDiceCounts.ClDice(z).
func ClDice(probs, mask, fov []float32, h, w int, threshold float32, z ZeroDivision) (float64, error) {
	c, err := ClDiceCount(probs, mask, fov, h, w, threshold)
	if err != nil {
		return 0, err
	}
	return c.ClDice(z), nil
}
