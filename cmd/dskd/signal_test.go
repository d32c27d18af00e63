package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/data/synth"
	"github.com/angioseg/dskd/internal/cmdline/cmdtest"
)

// signalRun starts `dskd train` in a child, sends it sig once the log
// shows the end of epoch 0, and returns its exit status and stderr.
func signalRun(t *testing.T, train []string, sigs ...syscall.Signal) (int, string) {
	t.Helper()
	cmd := cmdtest.Command(train...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		log.WriteString(line + "\n")
		if !sent && strings.Contains(line, " epoch ") && strings.Contains(line, "epoch=0") {
			for _, s := range sigs {
				require.NoError(t, cmd.Process.Signal(s))
			}
			sent = true
		}
	}
	_, _ = io.Copy(io.Discard, stderr)
	err = cmd.Wait()
	require.True(t, sent, "the run ended before epoch 0 did:\n%s", log.String())
	code := 0
	if ee, ok := err.(interface{ ExitCode() int }); ok && err != nil {
		code = ee.ExitCode()
	}
	return code, log.String()
}

// SIGTERM (what SLURM, Kubernetes and systemd send) stops training at the
// next step with a checkpoint of that point, status 143 and one line
// saying how to continue; `train --resume --out RUN` alone (the data set
// comes from the run folder) then ends exactly where an uninterrupted run
// ends.
func TestSIGTERMStopsBetweenStepsAndResumes(t *testing.T) {
	root := t.TempDir()
	dataDir := filepath.Join(root, "data")
	ids := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 101, 102}
	require.NoError(t, synth.WriteDCA1(dataDir, ids, 48, 3))
	args := func(out string) []string {
		return []string{"train", "--dataset", "dca1", "--data", dataDir, "--out", out, "--epochs", "3", "--base", "4",
			"--depth", "2", "--crop", "-1", "--batch", "2", "--threads", "1", "--val-count", "2"}
	}
	straight := filepath.Join(root, "straight")
	_, errOut, code := cmdtest.Run(t, append(args(straight), "--quiet")...)
	require.Equal(t, 0, code, errOut)

	cut := filepath.Join(root, "cut")
	code, log := signalRun(t, args(cut), syscall.SIGTERM)
	assert.Equal(t, 143, code, log)
	m := regexp.MustCompile(`(?m)^stopped at epoch (\d+) step (\d+); continue with: dskd train --resume --out (.+)$`).FindStringSubmatch(log)
	require.NotNil(t, m, "the one line saying how to continue:\n%s", log)
	assert.Equal(t, cut, m[3])
	assert.FileExists(t, filepath.Join(cut, "report.html"))
	assert.DirExists(t, filepath.Join(cut, "checkpoints", "epoch-000"+m[1]+"-step-000"+m[2]))

	_, errOut, code = cmdtest.Run(t, "train", "--resume", "--out", cut, "--quiet")
	require.Equal(t, 0, code, errOut)
	want, err := os.ReadFile(filepath.Join(straight, "metrics.csv"))
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(cut, "metrics.csv"))
	require.NoError(t, err)
	assert.Equal(t, withoutSeconds(t, string(want)), withoutSeconds(t, string(got)), "the resumed run ends as the uninterrupted one")

}

// signalChildEnv makes the test binary wait for signals with stopOnSignal
// (see TestSecondSignalExitsAtOnce).
const signalChildEnv = "DSKD_SIGNAL_CHILD"

// signalChild is that child: it says when the first signal ended its
// context, then waits for the second.
func signalChild() {
	s := stopOnSignal()
	fmt.Println("ready")
	<-s.ctx.Done()
	fmt.Println("first")
	time.Sleep(time.Minute)
	os.Exit(0)
}

// A second signal does not wait for the next step: the process exits at
// once, with the signal's status.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), signalChildEnv+"=1")
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		r := bufio.NewReader(out)
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "ready\n", line)
		require.NoError(t, cmd.Process.Signal(sig))
		line, err = r.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, "first\n", line, "the first signal only ends the context")
		start := time.Now()
		require.NoError(t, cmd.Process.Signal(sig))
		err = cmd.Wait()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit)
		assert.Equal(t, 128+int(sig), exit.ExitCode(), sig.String())
		assert.Less(t, time.Since(start), 10*time.Second, "at once, not after the child's minute")
		assert.Contains(t, stderr.String(), "dskd: second "+sig.String()+": exiting now")
	}
}

// withoutSeconds drops metrics.csv's seconds column (wall time).
func withoutSeconds(t *testing.T, csv string) string {
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	head := strings.Split(lines[0], ",")
	col := -1
	for i, h := range head {
		if h == "seconds" {
			col = i
		}
	}
	require.GreaterOrEqual(t, col, 0, "metrics.csv has a seconds column: %s", lines[0])
	var out []string
	for _, l := range lines {
		f := strings.Split(l, ",")
		out = append(out, strings.Join(append(f[:col:col], f[col+1:]...), ","))
	}
	return strings.Join(out, "\n")
}
