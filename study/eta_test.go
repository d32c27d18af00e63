package study

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRemainingTime(t *testing.T) {
	var runs []Job
	for _, arm := range []string{"unet", "dskd", "new"} {
		for fold := range 2 {
			runs = append(runs, Job{Arm: arm, Fold: fold, Seed: 1})
		}
	}
	rows := map[string]Row{}
	_, ok := remainingTime(runs, rows, 2)
	assert.False(t, ok, "no estimate before a run has finished")

	// unet took 600 s (wall) and dskd 1200 s (its summed epochs: a kill lost
	// wall time); "new" has none finished and counts the mean of all, 900 s.
	rows[pairKey("unet", 0, 1)] = Row{Arm: "unet", WallSeconds: 600, TrainSeconds: 550}
	rows[pairKey("dskd", 0, 1)] = Row{Arm: "dskd", WallSeconds: 300, TrainSeconds: 1200}
	left, ok := remainingTime(runs, rows, 2)
	assert.True(t, ok)
	// (600 + 1200 + 900 + 900) / 2 jobs = 1800 s
	assert.Equal(t, 30*time.Minute, left)

	left, _ = remainingTime(runs, rows, 0)
	assert.Equal(t, time.Hour, left, "no jobs means one")

	for _, r := range runs {
		rows[pairKey(r.Arm, r.Fold, r.Seed)] = Row{Arm: r.Arm, WallSeconds: 60}
	}
	left, ok = remainingTime(runs, rows, 2)
	assert.True(t, ok)
	assert.Zero(t, left)
}

// Each finished run's log line says how many are done and, while some are
// left, how long they should take.
func TestStudyLogsItsProgress(t *testing.T) {
	dataDir := t.TempDir()
	writeSyntheticFolder(t, dataDir, 12, 48)
	spec := tinyStudy(dataDir)
	spec.FoldIDs = []int{0}
	var buf bytes.Buffer
	log := zerolog.New(&buf)
	_, err := Run(context.Background(), t.TempDir(), spec, Options{Jobs: 1, Threads: 1, Logger: &log})
	require.NoError(t, err)
	var finished []map[string]any
	lines := bufio.NewScanner(&buf)
	for lines.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(lines.Bytes(), &m))
		if m["message"] == "study: run finished" {
			finished = append(finished, m)
		}
	}
	require.Len(t, finished, 2)
	assert.Equal(t, "1/2", finished[0]["finished"])
	assert.NotEmpty(t, finished[0]["eta_study"], "one run left: an estimate")
	assert.Equal(t, "2/2", finished[1]["finished"])
	assert.NotContains(t, finished[1], "eta_study", "none left")
}
