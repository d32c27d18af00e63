package gpucheck

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestCheck(t *testing.T, budget time.Duration) *check {
	t.Helper()
	out := t.TempDir()
	c := &check{cfg: Config{Out: out, Project: out}, deadline: time.Now().Add(budget), work: filepath.Join(out, "work"), progress: io.Discard}
	c.r = &Report{Folder: out, Device: "cpu"}
	return c
}

// A phase past its limit is killed with all its processes, recorded as a
// timeout, and the next phase still runs and records its own failure.
func TestPhaseTimeoutKillsTheProcessGroupAndTheRunGoesOn(t *testing.T) {
	c := newTestCheck(t, time.Hour)
	c.cfg.Timeouts = map[string]time.Duration{"test": time.Second}
	pidFile := filepath.Join(c.cfg.Out, "child.pid")
	p := c.phase(context.Background(), "test", "test", "", func(ctx context.Context, p *phaseRun) error {
		return p.run(ctx, nil, "sh", "-c", "sleep 60 & echo $! > "+pidFile+"; echo started; wait")
	})
	assert.Equal(t, StatusTimeout, p.Status)
	assert.Contains(t, p.Error, "stopped after 1s")
	assert.Equal(t, "test.log", p.Log)
	log, err := os.ReadFile(filepath.Join(c.cfg.Out, "test.log"))
	require.NoError(t, err)
	assert.Contains(t, string(log), "started\n")
	assert.Contains(t, string(log), "# phase test: timeout")
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	// The background sleep was in the phase's process group, so it is
	// killed too (a zombie not yet reaped counts as dead).
	// SIGKILL is delivered asynchronously: wait for the state, not a time.
	assert.Eventually(t, func() bool { return !processRunning(pid) }, 10*time.Second, 20*time.Millisecond,
		"the phase's child process %d survived", pid)

	next := c.phase(context.Background(), "train-dskd-b4", "train", "", func(ctx context.Context, p *phaseRun) error {
		return p.run(ctx, nil, "sh", "-c", "echo no data >&2; exit 3")
	})
	assert.Equal(t, StatusFailed, next.Status)
	assert.Equal(t, "sh: exit status 3", next.Error)

	saved, err := os.ReadFile(filepath.Join(c.cfg.Out, "report.json"))
	require.NoError(t, err)
	assert.Contains(t, string(saved), `"status": "timeout"`, "the report is rewritten after each phase")
	assert.Contains(t, string(saved), `"name": "train-dskd-b4"`)
}

func processRunning(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// Field 3 is the state; Z is a zombie (dead, not yet reaped).
	f := strings.Fields(string(stat))
	return len(f) > 2 && f[2] != "Z"
}

func TestPhaseSkipsWhenBudgetIsSpentOrAsked(t *testing.T) {
	c := newTestCheck(t, 2*time.Second)
	ran := false
	fn := func(ctx context.Context, p *phaseRun) error { ran = true; return nil }
	p := c.phase(context.Background(), "bench", "bench", "", fn)
	assert.Equal(t, StatusSkipped, p.Status)
	assert.Equal(t, "the run's budget is spent", p.Error, "less than 5 s left")
	p = c.phase(context.Background(), "test", "test", skippedOnRequest, fn)
	assert.Equal(t, skippedOnRequest, p.Error)
	assert.False(t, ran)

	c = newTestCheck(t, time.Hour)
	p = c.phase(context.Background(), "host", "host", "", func(ctx context.Context, p *phaseRun) error {
		return errors.New("no nvidia-smi")
	})
	assert.Equal(t, StatusFailed, p.Status)
	assert.Equal(t, "no nvidia-smi", p.Error)
	assert.Greater(t, p.TimeoutS, 0.0)
}

func TestMarkdownReportShowsPhasesTrainingAndFailures(t *testing.T) {
	r := &Report{Device: "cuda", Folder: "/r", Command: "dskd-gpucheck --device cuda", BudgetSeconds: 480, WallSeconds: 301,
		Phases: []*Phase{{Name: "build", Status: StatusOK, Seconds: 95.2, TimeoutS: 360, Log: "build.log"},
			{Name: "test", Status: StatusFailed, Seconds: 40, Error: "go: exit status 1\nmore | detail", PeakGPUMiB: 2100}},
		Tests:    &TestSummary{Passed: 80, Failed: 1, Failures: []TestFailure{{Package: "p", Test: "TestX", Output: "boom\n"}}},
		Training: []TrainResult{{Preset: "unet", Batch: 16, Epochs: 8, SecondsPerEpoch: 1.234, FirstEpochS: 5, BestValDice: 0.7512, LastValDice: 0.74, PeakGPUMiB: 9000}},
		Bench:    &BenchResult{Command: "go run ./bench/compare --device cuda", Table: "| config |\n"}}
	md := r.Markdown()
	assert.Contains(t, md, "# dskd gpu-check: FAILED on cuda")
	assert.Contains(t, md, "| build | ok | 95.2 | 360 | – | build.log | – |")
	assert.Contains(t, md, "| test | failed | 40.0 | 0 | 2100 | – | go: exit status 1 more \\| detail |")
	assert.Contains(t, md, "80 passed, 1 failed, 0 skipped")
	assert.Contains(t, md, "**FAIL p TestX**\n\n```\nboom\n```")
	assert.Contains(t, md, "| unet | 16 | 8 | 1.23 | 5.00 | 0.7512 | 0.7400 | 9000 | – |")
	assert.Contains(t, md, "`go run ./bench/compare --device cuda`\n\n| config |")
}

func TestMissingNamesThePhasesThatDidNotFinish(t *testing.T) {
	ok := &Phase{Name: "setup", Status: StatusOK}
	failed := &Phase{Name: "setup", Status: StatusFailed}
	build := &Phase{Name: "build", Status: StatusSkipped}
	assert.Equal(t, "", missing(ok))
	assert.Equal(t, "needs the setup, which did not finish", missing(failed))
	assert.Equal(t, "needs the build, which did not finish", missing(ok, build))
	assert.Equal(t, "needs the setup and the build, which did not finish", missing(failed, build))
}
