package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
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
