package data

import (
	"fmt"
	"path/filepath"
	"sort"
)

// pairByStem pairs image and mask files of two folders by base name without
// extension ("a.jpg" pairs with "a.png"). Images without masks, masks without
// images and ambiguous stems (two files "a.png", "a.jpg" in one folder) are
// reported together by name. what names the layout in messages.
func pairByStem(what, imgDir, maskDir string) ([]Sample, error) {
	imgs, err := listImages(imgDir)
	if err != nil {
		return nil, err
	}
	masks, err := listImages(maskDir)
	if err != nil {
		return nil, err
	}
	var problems []string
	index := func(files []string, dir string) map[string]string {
		m := map[string]string{}
		for _, f := range files {
			s := stem(f)
			if prev, dup := m[s]; dup {
				problems = append(problems, fmt.Sprintf("ambiguous %s and %s in %s", prev, f, dir))
				continue
			}
			m[s] = f
		}
		return m
	}
	im, mm := index(imgs, imgDir), index(masks, maskDir)
	var out []Sample
	for s, f := range im {
		mf, ok := mm[s]
		if !ok {
			problems = append(problems, fmt.Sprintf("image %s has no mask %s.* in %s", f, s, maskDir))
			continue
		}
		out = append(out, Sample{Name: s, ImagePath: filepath.Join(imgDir, f), MaskPath: filepath.Join(maskDir, mf)})
	}
	for s, f := range mm {
		if _, ok := im[s]; !ok {
			problems = append(problems, fmt.Sprintf("mask %s has no image %s.* in %s", f, s, imgDir))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, errorf("%s: %d pairing problems: %s", what, len(problems), problemList(problems))
	}
	if len(out) == 0 {
		return nil, errorf("%s: no images found in %s", what, imgDir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
