package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data"
)

// The example runner end to end on a tiny generated DCA1 layout: data are
// generated once, a run trains, and a second call reuses the data and
// starts the run over.
func TestExampleRunsOnGeneratedData(t *testing.T) {
	out := t.TempDir()
	ex := Example{
		Name:           "dca1",
		SyntheticDir:   "data",
		WriteSynthetic: SyntheticDCA1(10, 2, 64, 3),
		Split:          func(root string, _ int64) (data.Split, error) { return DCA1Split(root, os.Stderr) },
	}
	args := []string{"--out", out, "--epochs", "1", "--base", "4", "--depth", "2", "--crop", "-1", "--threads", "2", "--quiet", "--val-count", "2"}
	require.NoError(t, ex.Run(args))
	for _, f := range []string{"data/.complete", "data/1.pgm", "data/102_gt.pgm", "metrics.csv", "test_metrics.json", "checkpoints/best/model.pt"} {
		assert.FileExists(t, filepath.Join(out, f))
	}
	stamp, err := os.Stat(filepath.Join(out, "data", "1.pgm"))
	require.NoError(t, err)
	require.NoError(t, ex.Run(args), "a second demo run starts over in the same folder")
	again, err := os.Stat(filepath.Join(out, "data", "1.pgm"))
	require.NoError(t, err)
	assert.Equal(t, stamp.ModTime(), again.ModTime(), "generated data are reused")
	assert.Error(t, ex.Run([]string{"--out", out, "--preset", "bogus"}))
}
