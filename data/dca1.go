package data

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
)

// DCA1 layout: one folder (officially Database_134_Angiograms) with N.pgm
// images and N_gt.pgm masks, N = 1..134.
const (
	DCA1LastTrainID = 100 // conventional split: ids 1..100 train
	DCA1LastID      = 134 // ids 101..134 test
)

var dca1Name = regexp.MustCompile(`^([0-9]+)(_gt)?\.pgm$`)

// DCA1 is a scanned DCA1 folder.
type DCA1 struct {
	Dir     string
	Samples []Sample // sorted by numeric id; Name is the id ("17")
	byID    map[int]Sample
}

// OpenDCA1 scans dir for N.pgm/N_gt.pgm pairs. Every image must have its mask
// and every mask its image; otherwise the error names each incomplete pair.
// Files not matching N.pgm or N_gt.pgm are skipped with a debug log. An empty
// folder (no pairs) is an error. Files are not decoded here.
func OpenDCA1(dir string) (*DCA1, error) {
	files, err := listImages(dir)
	if err != nil {
		return nil, err
	}
	imgs, masks := map[int]string{}, map[int]string{}
	for _, f := range files {
		m := dca1Name.FindStringSubmatch(f)
		if m == nil {
			log().Debug().Str("file", filepath.Join(dir, f)).Msg("data: DCA1: skipping file not named N.pgm or N_gt.pgm")
			continue
		}
		id, _ := strconv.Atoi(m[1])
		if m[2] == "" {
			imgs[id] = f
		} else {
			masks[id] = f
		}
	}
	var problems []string
	d := &DCA1{Dir: dir, byID: map[int]Sample{}}
	for id, f := range imgs {
		if _, ok := masks[id]; !ok {
			problems = append(problems, fmt.Sprintf("%s has no mask %d_gt.pgm", f, id))
			continue
		}
		s := Sample{Name: strconv.Itoa(id), ImagePath: filepath.Join(dir, f), MaskPath: filepath.Join(dir, masks[id])}
		d.byID[id] = s
	}
	for id, f := range masks {
		if _, ok := imgs[id]; !ok {
			problems = append(problems, fmt.Sprintf("%s has no image %d.pgm", f, id))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, errorf("DCA1 %s: %d incomplete pairs: %s", dir, len(problems), problemList(problems))
	}
	if len(d.byID) == 0 {
		return nil, errorf("DCA1 %s: no N.pgm/N_gt.pgm pairs found", dir)
	}
	ids := make([]int, 0, len(d.byID))
	for id := range d.byID {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		d.Samples = append(d.Samples, d.byID[id])
	}
	return d, nil
}

// ConventionalSplit returns ids 1..100 as Train and 101..134 as Test, using the
// ids present (ids above 134 are ignored with a debug log). An error is
// returned if either side ends up empty.
func (d *DCA1) ConventionalSplit() (Split, error) {
	var s Split
	for _, smp := range d.Samples {
		id, _ := strconv.Atoi(smp.Name)
		switch {
		case isDCA1TrainID(id):
			s.Train = append(s.Train, smp)
		case id > DCA1LastTrainID && id <= DCA1LastID:
			s.Test = append(s.Test, smp)
		default:
			log().Debug().Int("id", id).Msg("data: DCA1: id outside 1..134 ignored by the conventional split")
		}
	}
	if len(s.Train) == 0 || len(s.Test) == 0 {
		return Split{}, errorf("DCA1 %s: conventional split has %d train (ids 1..100) and %d test (ids 101..134) pairs; both must be non-empty",
			d.Dir, len(s.Train), len(s.Test))
	}
	return s, nil
}

// TrainSamples returns the samples of the conventional training ids
// (1..100), in id order: what a folder holding only those (the public
// training pairs) trains and validates on, and the pool a study draws its
// folds from. nil when the folder has none.
func (d *DCA1) TrainSamples() []Sample {
	var out []Sample
	for _, smp := range d.Samples {
		if id, _ := strconv.Atoi(smp.Name); isDCA1TrainID(id) {
			out = append(out, smp)
		}
	}
	return out
}

// isDCA1TrainID reports whether id is one of the conventional training
// ids, 1..DCA1LastTrainID.
func isDCA1TrainID(id int) bool { return id >= 1 && id <= DCA1LastTrainID }

// SplitByIDs builds a split from explicit id lists. Every id must exist and
// no id may be in both lists.
func (d *DCA1) SplitByIDs(trainIDs, testIDs []int) (Split, error) {
	seen := map[int]string{}
	var s Split
	pick := func(ids []int, role string, dst *[]Sample) error {
		for _, id := range ids {
			if prev, dup := seen[id]; dup {
				return errorf("DCA1 split: id %d listed in both %s and %s", id, prev, role)
			}
			seen[id] = role
			smp, ok := d.byID[id]
			if !ok {
				return errorf("DCA1 split: %s id %d: no pair %d.pgm/%d_gt.pgm in %s", role, id, id, id, d.Dir)
			}
			*dst = append(*dst, smp)
		}
		return nil
	}
	if err := pick(trainIDs, "train", &s.Train); err != nil {
		return Split{}, err
	}
	if err := pick(testIDs, "test", &s.Test); err != nil {
		return Split{}, err
	}
	return s, nil
}
