package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data/synth"
	"github.com/angioseg/dskd/internal/cmdline/cmdtest"
)

// mountTmpfs mounts a tmpfs of size bytes at dir (root only), unmounted
// at the end of the test.
func mountTmpfs(t *testing.T, dir string, size string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a size-limited tmpfs needs root (CI runs as root); the fault-injection tests of package dskd cover the same writes")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		// e.g. EPERM in a container without CAP_SYS_ADMIN
		t.Skipf("this machine does not let root mount a tmpfs (%v); the fault-injection tests cover the same writes", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, 0) })
}

// A run folder on a disk that fills up: the run ends with an error naming
// the file and the room left (exit status 1, no abort), leaves no
// temporary files, keeps its newest checkpoint whole, and resumes once
// there is room again.
func TestFullDiskIsAnErrorAndTheRunResumes(t *testing.T) {
	root := t.TempDir()
	dataDir, out := filepath.Join(root, "data"), filepath.Join(root, "disk")
	require.NoError(t, os.MkdirAll(out, 0o755))
	mountTmpfs(t, out, "600k")
	ids := []int{1, 2, 3, 4, 5, 6, 7, 8, 101, 102}
	require.NoError(t, synth.WriteDCA1(dataDir, ids, 48, 4))
	run := filepath.Join(out, "run")
	train := []string{"train", "--dataset", "dca1", "--data", dataDir, "--out", run, "--epochs", "12", "--base", "8",
		"--depth", "2", "--crop", "-1", "--threads", "1", "--val-count", "2", "--quiet"}
	_, errOut, code := cmdtest.Run(t, train...)
	require.Equal(t, 1, code, "a full disk is an error, not an abort:\n%s", errOut)
	assert.Contains(t, errOut, ": no space left on device (")
	assert.Contains(t, errOut, " free in "+run)
	var leftovers []string
	require.NoError(t, filepath.WalkDir(run, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			leftovers = append(leftovers, p)
		}
		return err
	}))
	assert.Empty(t, leftovers, "no temporary files or folders left")

	require.NoError(t, syscall.Mount("tmpfs", out, "tmpfs", syscall.MS_REMOUNT, "size=64m"))
	_, errOut, code = cmdtest.Run(t, "train", "--resume", "--out", run, "--quiet")
	require.Equal(t, 0, code, errOut)
	assert.FileExists(t, filepath.Join(run, "test_metrics.json"))
}
