package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	require.NoError(t, WriteBytes(path, []byte("old")))
	err := Write(path, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half")
		return errors.New("boom")
	})
	assert.EqualError(t, err, path+": boom")
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old", string(got))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "temporary file removed")
}

func TestWriteJSONCreatesFolders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "x.json")
	require.NoError(t, WriteJSON(path, map[string]float64{"threshold": 0.42}))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"threshold\": 0.42\n}\n", string(got))
}

func TestWriteDirReplacesWholeOrNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ck")
	fill := func(content string) func(string) error {
		return func(tmp string) error { return os.WriteFile(filepath.Join(tmp, "f"), []byte(content), 0o644) }
	}
	require.NoError(t, WriteDir(dir, fill("one")))
	require.NoError(t, WriteDir(dir, fill("two")))
	got, err := os.ReadFile(filepath.Join(dir, "f"))
	require.NoError(t, err)
	assert.Equal(t, "two", string(got))
	assert.Error(t, WriteDir(dir, func(tmp string) error { return errors.New("disk full") }))
	got, err = os.ReadFile(filepath.Join(dir, "f"))
	require.NoError(t, err)
	assert.Equal(t, "two", string(got), "a failed fill leaves the old folder")
	entries, err := os.ReadDir(filepath.Dir(dir))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary or .old folder left")
}

// What a kill in the middle of Write or WriteDir leaves is tidied: the
// temporaries go, and a folder moved aside whose replacement never landed
// comes back.
func TestRecoverTidiesAfterAKill(t *testing.T) {
	root := t.TempDir()
	ck := filepath.Join(root, "checkpoints")
	mk := func(rel, content string) {
		p := filepath.Join(root, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	mk("metrics.csv", "kept")
	mk(".metrics.csv.tmp-123", "half")
	mk("checkpoints/epoch-0001/state.json", "e1")
	mk("checkpoints/.tmp-epoch-0002-77/model.pt", "half")
	mk("checkpoints/best.old/state.json", "old best") // best/ is missing: restore
	mk("checkpoints/epoch-0001.old/state.json", "older")
	done, err := Recover(root)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"removed .metrics.csv.tmp-123", "removed checkpoints/.tmp-epoch-0002-77",
		"restored checkpoints/best", "removed checkpoints/epoch-0001.old"}, done)
	entries, err := os.ReadDir(ck)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"best", "epoch-0001"}, names)
	b, err := os.ReadFile(filepath.Join(ck, "best", "state.json"))
	require.NoError(t, err)
	assert.Equal(t, "old best", string(b))
	assert.FileExists(t, filepath.Join(root, "metrics.csv"))

	again, err := Recover(root)
	require.NoError(t, err)
	assert.Empty(t, again, "nothing left to tidy")
	none, err := Recover(filepath.Join(root, "missing"))
	require.NoError(t, err)
	assert.Empty(t, none)
}

// A full disk in the middle of a file: the error names the file and the
// room left, the old content stays, no temporary file remains.
func TestFullDiskKeepsTheOldFileAndSaysWhy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "metrics.csv")
	require.NoError(t, WriteBytes(path, []byte("old\n")))
	undo := InjectFault(func(p string) bool { return filepath.Base(p) == "metrics.csv" }, 10, syscall.ENOSPC)
	err := WriteBytes(path, bytes.Repeat([]byte("x"), 100000))
	undo()
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	assert.Regexp(t, `^`+regexp.QuoteMeta(path)+`: no space left on device \(\d+(\.\d)? [KMGT]?i?B free in `+regexp.QuoteMeta(dir)+`\)$`, err.Error())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old\n", string(b))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")

	require.NoError(t, WriteBytes(path, []byte("new\n")), "the fault is gone after undo")
	eio := InjectFault(func(string) bool { return true }, 0, syscall.EIO)
	err = WriteBytes(filepath.Join(dir, "other"), []byte("y"))
	eio()
	assert.ErrorIs(t, err, syscall.EIO)
	assert.NotContains(t, err.Error(), "free in", "only a full disk reports the room left")
}

func TestBytesText(t *testing.T) {
	assert.Equal(t, "512 B", bytesText(512))
	assert.Equal(t, "1.5 KiB", bytesText(1536))
	assert.Equal(t, "20.0 MiB", bytesText(20<<20))
	assert.Equal(t, "3.0 GiB", bytesText(3<<30))
}
