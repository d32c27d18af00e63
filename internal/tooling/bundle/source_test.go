package bundle

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var projectTree = map[string]string{
	"go.mod":             "module example.com/p\n",
	"main.go":            "package main\n",
	".gitignore":         "/runs/\n/_dist/\n/go.work\n*.prof\n",
	"go.work":            "go 1.24\n",
	"cpu.prof":           "profile",
	"runs/a/metrics.csv": "epoch\n",
	"_dist/b/run":        "#!/bin/sh\n",
	"data/x.go":          "package data\n",
	"data/old.go":        "package data\n",
	".hidden/cfg":        "x",
}

// walkedTree is what ProjectFiles lists of projectTree outside git.
var walkedTree = []string{"cpu.prof", "data/old.go", "data/x.go", "go.mod", "main.go"}

// In a git work tree: tracked files as they are now and untracked files
// git does not ignore; a file deleted from the tree is left out.
func TestProjectFilesFollowsGit(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, projectTree)
	if _, err := exec.LookPath("git"); err != nil {
		// A host without git (an offline server running the suite) cannot
		// make the repository; what it can check is that ProjectFiles then
		// walks the tree instead of failing.
		files, err := ProjectFiles(context.Background(), dir)
		require.NoError(t, err)
		assert.Equal(t, walkedTree, files)
		return
	}
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	git("init", "-q")
	git("add", "go.mod", "main.go", ".gitignore", "data/old.go", ".hidden/cfg")
	git("commit", "-q", "-m", "init")
	require.NoError(t, os.Remove(filepath.Join(dir, "data/old.go")))
	writeFiles(t, dir, map[string]string{"main.go": "package main // edited\n"})

	files, err := ProjectFiles(context.Background(), dir)
	require.NoError(t, err)
	assert.Equal(t, []string{".gitignore", ".hidden/cfg", "data/x.go", "go.mod", "main.go"}, files)
}

// Outside git (an unpacked bundle): no hidden files, no '_' folders, no
// runs/, no go.work.
func TestProjectFilesWithoutGitWalksTheTree(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, projectTree)
	files, err := ProjectFiles(context.Background(), dir)
	require.NoError(t, err)
	assert.Equal(t, walkedTree, files)
}
