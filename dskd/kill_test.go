package dskd

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func killConfig(outDir string) Config {
	c := tinyConfigIn(outDir, 6)
	c.Overlays = -1
	c.Deterministic = true // bit-equal on CUDA too (no-op on the CPU)
	return c
}

// A training process killed with SIGKILL at an arbitrary moment after its
// second checkpoint leaves a resumable run whose continuation matches an
// uninterrupted run exactly.
func TestResumeAfterKill(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 12, 48)
	split, err := splitFromDir(dataDir)
	require.NoError(t, err)
	want, err := Train(context.Background(), killConfig(t.TempDir()), split, Options{Logger: quietLogger()})
	require.NoError(t, err)

	run := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+run, childEnv+"="+dataDir)
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(run, checkpointsDir, epochDirName(1), stateFile)); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the child never wrote its epoch-1 checkpoint")
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	latest, err := LatestCheckpoint(run)
	require.NoError(t, err)
	st, err := ReadState(latest)
	require.NoError(t, err)
	t.Logf("killed after epoch %d", st.Epoch)
	got, err := Resume(context.Background(), run, split, Options{Logger: quietLogger()})
	require.NoError(t, err)
	require.Len(t, got.History, len(want.History))
	for i := range want.History {
		assert.Equal(t, want.History[i].TrainLoss, got.History[i].TrainLoss, "epoch %d", i)
		assert.Equal(t, want.History[i].ValDice, got.History[i].ValDice, "epoch %d", i)
	}
}
