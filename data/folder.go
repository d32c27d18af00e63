package data

import "path/filepath"

// OpenFolder loads the generic layout root/images + root/masks, pairing files
// by base name (extensions may differ, e.g. images/a.jpg with masks/a.png).
// Non-image files are skipped with a debug log; a missing mask or image, an
// ambiguous base name or an empty folder is an error naming the files.
// Samples are sorted by name.
func OpenFolder(root string) ([]Sample, error) {
	return pairByStem("folder "+root, filepath.Join(root, "images"), filepath.Join(root, "masks"))
}

// OpenImages lists every image under dir (recursively, sorted) as
// unlabelled frames, named by their path relative to dir: a folder of
// frames nobody annotated, for Split.Unlabelled. An empty folder is an
// error.
func OpenImages(dir string) ([]Sample, error) {
	if !isDir(dir) {
		return nil, errorf("unlabelled frames %s: not a folder", dir)
	}
	files, err := walkImages(dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errorf("unlabelled frames %s: no image files", dir)
	}
	return frames(dir, files), nil
}

// frames are the unlabelled samples of files (slash paths relative to dir).
func frames(dir string, files []string) []Sample {
	var out []Sample
	for _, f := range files {
		out = append(out, Sample{Name: f, ImagePath: filepath.Join(dir, filepath.FromSlash(f))})
	}
	return out
}
