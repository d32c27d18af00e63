package data

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// imageExts are the extensions the folder loaders consider image files
// (case-insensitive). Other files are skipped with a debug log.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".pgm": true}

func isImageName(name string) bool {
	return imageExts[strings.ToLower(filepath.Ext(name))]
}

// listImages returns the image file names (not paths) directly in dir, sorted.
// Non-image files and subdirectories are skipped with a debug log.
func listImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errorf("listing %s: %v", dir, err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() || !isImageName(e.Name()) {
			log().Debug().Str("file", filepath.Join(dir, e.Name())).Msg("data: skipping non-image entry")
			continue
		}
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out, nil
}

// walkImages returns image files under root (recursively), as slash-separated
// paths relative to root, sorted.
func walkImages(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !isImageName(d.Name()) {
			log().Debug().Str("file", p).Msg("data: skipping non-image file")
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, errorf("walking %s: %v", root, err)
	}
	sort.Strings(out)
	return out, nil
}

func stem(name string) string { return strings.TrimSuffix(name, filepath.Ext(name)) }

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// problemList joins up to 10 problems for an error message, then counts the rest.
func problemList(p []string) string {
	const show = 10
	if len(p) <= show {
		return strings.Join(p, "; ")
	}
	return strings.Join(p[:show], "; ") + "; and " + itoa(len(p)-show) + " more"
}

func itoa(n int) string { return strconv.Itoa(n) }
