package data

// Sample names one image file and, for labelled data, its mask file.
// MaskPath is empty for unlabelled samples (e.g. XCAD train frames).
type Sample struct {
	Name      string // identifier used in batches and messages (DCA1: the id "17")
	ImagePath string
	MaskPath  string
}

// Labelled reports whether the sample has a mask.
func (s Sample) Labelled() bool { return s.MaskPath != "" }

// Split groups samples for training, validation and test. Val is always
// carved out of Train (see Split.WithValidation), never out of Test.
// Unlabelled holds frames without masks (XCAD's train/, a folder of
// images, or training samples whose labels HideLabels set aside) that a
// semi-supervised run learns from through its teacher; they are never
// validated or scored.
type Split struct {
	Train, Val, Test []Sample
	Unlabelled       []Sample
}

func names(s []Sample) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.Name
	}
	return out
}

// HideLabels keeps the labels of keep training samples, chosen by seed,
// and moves the others to Unlabelled without their masks: the
// label-scarce setting of a semi-supervised experiment on a fully
// labelled data set. Val and Test are unchanged.
func (s Split) HideLabels(keep int, seed int64) (Split, error) {
	if keep < 1 || keep > len(s.Train) {
		return s, errorf("HideLabels: keep %d of %d training samples: want 1..%d", keep, len(s.Train), len(s.Train))
	}
	order := make([]int, len(s.Train))
	for i := range order {
		order[i] = i
	}
	r := newRand(uint64(seed), 0x68696465) // "hide"
	r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	kept := make([]bool, len(s.Train))
	for _, i := range order[:keep] {
		kept[i] = true
	}
	out := Split{Val: s.Val, Test: s.Test, Unlabelled: append([]Sample(nil), s.Unlabelled...)}
	for i, smp := range s.Train {
		if kept[i] {
			out.Train = append(out.Train, smp)
		} else {
			smp.MaskPath = ""
			out.Unlabelled = append(out.Unlabelled, smp)
		}
	}
	return out, nil
}

// Unlabel moves the named training samples to Unlabelled without their
// masks: frames a user marks as unannotated in a labelled data set. A
// name that is not a training sample is an error naming it. Val and Test
// are unchanged.
func (s Split) Unlabel(names ...string) (Split, error) {
	drop := make(map[string]bool, len(names))
	for _, n := range names {
		drop[n] = true
	}
	out := Split{Val: s.Val, Test: s.Test, Unlabelled: append([]Sample(nil), s.Unlabelled...)}
	for _, smp := range s.Train {
		if !drop[smp.Name] {
			out.Train = append(out.Train, smp)
			continue
		}
		delete(drop, smp.Name)
		smp.MaskPath = ""
		out.Unlabelled = append(out.Unlabelled, smp)
	}
	for _, n := range names {
		if drop[n] {
			return s, errorf("Unlabel: %q is not a training sample", n)
		}
	}
	if len(out.Train) == 0 {
		return s, errorf("Unlabel: all %d training samples would be unlabelled", len(s.Train))
	}
	return out, nil
}
