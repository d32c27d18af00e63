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
