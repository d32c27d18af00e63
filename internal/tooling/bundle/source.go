package bundle

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// ProjectFiles lists the project's files relative to root. In a git work
// tree whose top is root: what git tracks plus the untracked files it does
// not ignore, as they are now (uncommitted edits included, deleted files
// left out). Elsewhere (an unpacked bundle, a copy without .git): every
// regular file except hidden ones, those under folders whose name starts
// with '_', runs/ and bin/, go.work and go.work.sum.
func ProjectFiles(ctx context.Context, root string) ([]string, error) {
	if gitTop(ctx, root) {
		return gitFiles(ctx, root)
	}
	return walkProject(root)
}

// gitTop reports whether root is the top of a git work tree (and git runs).
func gitTop(ctx context.Context, root string) bool {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return false
	}
	top, err1 := filepath.EvalSymlinks(strings.TrimSpace(string(out)))
	abs, err2 := filepath.EvalSymlinks(root)
	return err1 == nil && err2 == nil && top == abs
}

func gitFiles(ctx context.Context, root string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("bundle: listing the project's files with git in %s: %w\n%s", root, err, strings.TrimSpace(stderr.String()))
	}
	seen := map[string]bool{}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		fi, err := os.Lstat(filepath.Join(root, f))
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the working tree, or a link
		}
		files = append(files, filepath.ToSlash(f))
	}
	sort.Strings(files)
	return files, nil
}

func walkProject(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if rel == "." {
			return nil
		}
		if d.IsDir() {
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || rel == "runs" || rel == "bin" {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && !strings.HasPrefix(name, ".") && rel != "go.work" && rel != "go.work.sum" {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bundle: listing the project's files in %s: %w", root, err)
	}
	sort.Strings(files)
	return files, nil
}
