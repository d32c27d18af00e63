package study

import (
	"fmt"

	"github.com/angioseg/dskd/data"
)

// openStudyPool returns the samples a study may train and score on: the
// training ids of the layout. DCA1's test ids (101-134) are never part of
// it; XCAD has no official labelled test set, so all its labelled images
// are; a folder gives all its pairs.
func openStudyPool(layout, dir string) ([]data.Sample, error) {
	if layout != LayoutDCA1 {
		return openLabelled(layout, dir)
	}
	d, err := data.OpenDCA1(dir)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	pool := d.TrainSamples()
	if len(pool) == 0 {
		return nil, fmt.Errorf("study: DCA1 %s has no training ids (1-%d)", dir, data.DCA1LastTrainID)
	}
	return pool, nil
}

// openLabelled returns every labelled sample of a data set (for scoring a
// model trained elsewhere: all of them are unseen).
func openLabelled(layout, dir string) ([]data.Sample, error) {
	var samples []data.Sample
	var err error
	switch layout {
	case LayoutDCA1:
		var d *data.DCA1
		if d, err = data.OpenDCA1(dir); err == nil {
			samples = d.Samples
		}
	case LayoutXCAD:
		var x *data.XCAD
		if x, err = data.OpenXCAD(dir); err == nil {
			samples = x.Labelled
		}
	case LayoutFolder:
		samples, err = data.OpenFolder(dir)
	default:
		err = fmt.Errorf("layout %q: want %s, %s or %s", layout, LayoutDCA1, LayoutXCAD, LayoutFolder)
	}
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	return samples, nil
}

// foldSplit returns fold `fold` of the seeded k-fold partition of pool as
// Test (the held-out part, used for scoring only) and carves Val, the share
// valFraction of the rest (seeded by seed, at least one sample), out of
// dskd.Train for model selection. The carve depends on the fold and seed only,
// so it is the same for every arm and training seed.
func foldSplit(pool []data.Sample, k, fold int, seed int64, valFraction float64) (data.Split, error) {
	s, err := data.KFold(pool, k, fold, seed)
	if err != nil {
		return data.Split{}, fmt.Errorf("study: %w", err)
	}
	if s, err = s.WithValidation(valFraction, 0, seed); err != nil {
		return data.Split{}, fmt.Errorf("study: fold %d: inner validation carve: %w", fold, err)
	}
	return s, nil
}
