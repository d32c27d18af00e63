package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/data/synth"
)

// XCADSplit opens an XCAD folder and splits its 126 labelled images:
// "kfold" (seeded, k folds, test = fold) or "fixed" (first 100 / last 26);
// the frames of train/ come along as the split's unlabelled frames.
func XCADSplit(root, mode string, k, fold int, seed int64) (data.Split, error) {
	x, err := data.OpenXCAD(root)
	if err != nil {
		return data.Split{}, err
	}
	var split data.Split
	switch mode {
	case "fixed":
		split, err = x.FixedSplit()
	case "kfold", "":
		split, err = x.KFold(k, fold, seed)
	default:
		return data.Split{}, fmt.Errorf("--split %q: want kfold or fixed", mode)
	}
	split.Unlabelled = x.Unlabelled // train/'s frames: learnt from only with an unlabelled config
	return split, err
}

// DCA1Split opens a DCA1 folder with the conventional split (ids 1-100
// train, 101-134 test). A folder with training ids only (as the public
// training subset) trains and validates without a test split.
func DCA1Split(dir string, w io.Writer) (data.Split, error) {
	d, err := data.OpenDCA1(dir)
	if err != nil {
		return data.Split{}, err
	}
	s, err := d.ConventionalSplit()
	if err == nil {
		return s, nil
	}
	train := d.TrainSamples()
	if len(train) == 0 {
		return data.Split{}, err
	}
	// Said neutrally: train, eval, predict and study all open the folder.
	fmt.Fprintf(w, "note: %s has no test ids (101-134): its %d pairs are training pairs, and there is no test split\n", dir, len(train))
	return data.Split{Train: train}, nil
}

// SyntheticDCA1 writes train ids 1..nTrain and test ids 101..100+nTest.
func SyntheticDCA1(nTrain, nTest, size int, seed int64) func(string) error {
	return func(dir string) error {
		if nTest > 34 || nTrain > 100 {
			return errors.New("synthetic DCA1: at most 100 train and 34 test ids")
		}
		var ids []int
		for i := 1; i <= nTrain; i++ {
			ids = append(ids, i)
		}
		for i := 101; i <= 100+nTest; i++ {
			ids = append(ids, i)
		}
		return synth.WriteDCA1(dir, ids, size, seed)
	}
}
