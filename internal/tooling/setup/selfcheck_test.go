package setup

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Outputs of cmd/dskd-setup/selfcheck --json, as engine.ThreadChoice writes them.
const (
	passAt2     = `{"requested":2,"threads":2,"checks":[{"threads":2,"float32_error":1.1e-06,"float64_error":2.7e-15,"worst":"conv1 bias gradient","pass":true,"seconds":0.02}]}`
	fallbackAt4 = `{"requested":4,"threads":1,"checks":[{"threads":4,"float32_error":0.3,"float64_error":1e-15,"worst":"conv1 weight gradient","pass":false},{"threads":2,"float32_error":0.3,"pass":false},{"threads":1,"float32_error":1e-6,"pass":true}],"warning":"engine: conv2d self-check: ... using 1 thread(s) instead"}`
	refusedAt8  = `{"requested":8,"threads":0,"checks":[{"threads":1,"float32_error":0.5,"pass":false}],"error":"engine: conv2d self-check failed even with 1 thread: ..."}`
)

func TestSelfCheckRunsOncePerThreadCountAndRecords(t *testing.T) {
	dir := t.TempDir()
	var calls []int
	run := func(n int) ([]byte, error) {
		calls = append(calls, n)
		switch n {
		case 2:
			return []byte(passAt2 + "\n"), nil
		case 4:
			return []byte(fallbackAt4), nil
		}
		return []byte(refusedAt8), errors.New("exit status 1")
	}
	tc, ran, err := SelfCheck(dir, 2, run)
	require.NoError(t, err)
	assert.True(t, ran)
	assert.Equal(t, 2, tc.Threads)
	assert.Equal(t, "conv2d self-check: libtorch's convolutions and their gradients are right with 2 thread(s) (largest relative error 1.1e-06 in float32, 2.7e-15 in float64, against a float64 reference)", tc.Describe())

	tc, ran, err = SelfCheck(dir, 2, run)
	require.NoError(t, err)
	assert.False(t, ran, "recorded: not run again")
	assert.Equal(t, 2, tc.Threads)

	tc, ran, err = SelfCheck(dir, 4, run)
	require.NoError(t, err)
	assert.True(t, ran)
	assert.Equal(t, 1, tc.Threads)
	assert.Contains(t, tc.Warning, "using 1 thread(s) instead")
	require.Len(t, tc.Checks, 3)
	assert.InDelta(t, 0.3, tc.Checks[0].Float32Error, 1e-15)

	// A refusal comes with a non-zero exit but is a decision, recorded too.
	tc, ran, err = SelfCheck(dir, 8, run)
	require.NoError(t, err)
	assert.True(t, ran)
	assert.Contains(t, tc.Error, "failed even with 1 thread")
	assert.Equal(t, []int{2, 4, 8}, calls)

	var requested []int
	for _, r := range RecordedSelfChecks(dir) {
		requested = append(requested, r.Requested)
	}
	assert.Equal(t, []int{2, 4, 8}, requested)
}

func TestSelfCheckProgramThatFailsWithoutADecisionIsAnError(t *testing.T) {
	dir := t.TempDir()
	_, _, err := SelfCheck(dir, 2, func(int) ([]byte, error) { return nil, errors.New("linking: undefined reference") })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "running the libtorch self-check")
	assert.Contains(t, err.Error(), "undefined reference")
	_, _, err = SelfCheck(dir, 2, func(int) ([]byte, error) { return []byte(passAt2), nil })
	require.NoError(t, err)
	// A decision for another count than asked is not trusted.
	_, _, err = SelfCheck(dir, 3, func(int) ([]byte, error) { return []byte(passAt2), nil })
	assert.ErrorContains(t, err, "unexpected output")
	_, err = os.Stat(filepath.Join(dir, selfCheckFile))
	require.NoError(t, err)
	assert.Len(t, RecordedSelfChecks(dir), 1)
	assert.Equal(t, 2, RecordedSelfChecks(dir)[0].Requested)
}

func TestRecordedSelfChecksIgnoresAnUnreadableRecord(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, selfCheckFile), []byte("{not json"), 0o644))
	assert.Empty(t, RecordedSelfChecks(dir))
	tc, ran, err := SelfCheck(dir, 2, func(int) ([]byte, error) { return []byte(passAt2), nil })
	require.NoError(t, err)
	assert.True(t, ran, "an unreadable record means: check again")
	assert.Equal(t, 2, tc.Threads)
}
