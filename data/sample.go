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
type Split struct {
	Train, Val, Test []Sample
}

func names(s []Sample) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = x.Name
	}
	return out
}
