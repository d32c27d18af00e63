package data

import (
	"path/filepath"
)

// XCAD layout (official release):
//
//	root/train/...           unlabelled frames, possibly in subfolders
//	root/test/images/NAME    126 labelled images (PNG, 512x512)
//	root/test/masks/NAME     their masks, same file names
type XCAD struct {
	Root       string
	Labelled   []Sample // from test/images + test/masks, sorted by name
	Unlabelled []Sample // from train/ (recursive), MaskPath empty, Name = path relative to train/
}

// XCADFixedTrain is the number of labelled images used for training by
// FixedSplit when all 126 are present.
const XCADFixedTrain = 100

// OpenXCAD scans an XCAD root. test/images and test/masks are required and
// must pair up by base name; train/ is optional (missing: no unlabelled frames,
// logged at debug).
func OpenXCAD(root string) (*XCAD, error) {
	lab, err := pairByStem("XCAD "+root, filepath.Join(root, "test", "images"), filepath.Join(root, "test", "masks"))
	if err != nil {
		return nil, err
	}
	x := &XCAD{Root: root, Labelled: lab}
	trainDir := filepath.Join(root, "train")
	if !isDir(trainDir) {
		log().Debug().Str("dir", trainDir).Msg("data: XCAD: no train/ folder; no unlabelled frames")
		return x, nil
	}
	files, err := walkImages(trainDir)
	if err != nil {
		return nil, err
	}
	x.Unlabelled = frames(trainDir, files)
	return x, nil
}

// KFold returns fold `fold` (0-based) of a seeded k-fold split of the labelled
// images: that fold is Test, the rest Train. See KFold.
func (x *XCAD) KFold(k, fold int, seed int64) (Split, error) {
	return KFold(x.Labelled, k, fold, seed)
}

// FixedSplit returns the first 100 labelled images (sorted by name) as Train
// and the remaining 26 as Test. With fewer or more than 126 images the same
// proportion is used: round(n*100/126) train, at least one on each side.
func (x *XCAD) FixedSplit() (Split, error) {
	n := len(x.Labelled)
	if n < 2 {
		return Split{}, errorf("XCAD %s: fixed split needs at least 2 labelled images, have %d", x.Root, n)
	}
	nt := (n*XCADFixedTrain + 63) / 126
	nt = max(1, min(n-1, nt))
	return Split{Train: x.Labelled[:nt:nt], Test: x.Labelled[nt:]}, nil
}
