package bundle

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeFiles creates files (relative path -> content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, body := range files {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
}

// copyFiles copies the listed files (relative to src) to the same places
// under dst.
func copyFiles(t *testing.T, src, dst string, files []string) {
	t.Helper()
	for _, rel := range files {
		in, err := os.Open(filepath.Join(src, rel))
		require.NoError(t, err)
		target := filepath.Join(dst, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(target), 0o755))
		out, err := os.Create(target)
		require.NoError(t, err)
		_, err = io.Copy(out, in)
		in.Close()
		require.NoError(t, err)
		require.NoError(t, out.Close())
	}
}

// relPaths maps absolute paths under base to slash-separated relative ones.
func relPaths(t *testing.T, base string, abs []string) []string {
	t.Helper()
	var out []string
	for _, a := range abs {
		rel, err := filepath.Rel(base, a)
		require.NoError(t, err)
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}
