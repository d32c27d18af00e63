package engine

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Start applies the allocator setting and runs the self-check at the
// requested count, and says so in one line each.
func TestStartOnTheLinkedLibtorch(t *testing.T) {
	resetSelfChecks(t, nil)
	require.NoError(t, Run(func() error {
		st, err := Start(2)
		require.NoError(t, err)
		assert.Equal(t, 2, Threads())
		assert.Equal(t, 2, st.Threads.Threads)
		assert.Empty(t, st.Threads.Warning)
		assert.Contains(t, []string{"tuned", "system"}, st.Allocator.Policy)
		assert.Equal(t, st.Allocator, TuneAllocator(), "decided once per process")
		lines := st.Lines()
		require.Len(t, lines, 2)
		assert.True(t, strings.HasPrefix(lines[0], "allocator: "+st.Allocator.Policy+" ("), lines[0])
		assert.True(t, strings.HasPrefix(lines[1], "conv2d self-check: 2 thread(s): ok (largest relative error float32 "), lines[1])

		again, err := Start(2)
		require.NoError(t, err)
		assert.Equal(t, st, again, "a second Start reuses both steps' results")
		return nil
	}))
}

func TestStartFallsBackAndSaysSo(t *testing.T) {
	resetSelfChecks(t, faultyAbove(1))
	require.NoError(t, Run(func() error {
		st, err := Start(2)
		require.NoError(t, err)
		assert.Equal(t, 1, Threads())
		assert.NotEmpty(t, st.Threads.Warning)
		line := st.Lines()[1]
		assert.True(t, strings.HasPrefix(line, "conv2d self-check: 2 thread(s): WRONG (largest relative error float32 3.0e-01"), line)
		assert.Contains(t, line, "; 1 thread(s): ok (")
		return nil
	}))
	resetSelfChecks(t, faultyAbove(0))
	require.NoError(t, Run(func() error {
		_, err := Start(1)
		assert.ErrorContains(t, err, "failed even with 1 thread")
		return nil
	}))
}

func TestStartupLines(t *testing.T) {
	tuned := Allocator{Policy: "tuned", Settings: []string{"M_MMAP_THRESHOLD=1073741824", "M_ARENA_MAX=1"}}
	assert.Equal(t, "allocator: tuned (M_MMAP_THRESHOLD=1073741824, M_ARENA_MAX=1)", tuned.String())
	assert.Equal(t, "allocator: system (DSKD_MALLOC=system)", Allocator{Policy: "system", Reason: "DSKD_MALLOC=system"}.String())
	assert.Equal(t, "allocator: system", Allocator{Policy: "system"}.String())

	choice := ThreadChoice{Requested: 2, Threads: 1, Checks: []SelfCheck{
		{Threads: 2, Float32Error: 0.3, Float64Error: 1e-16, Worst: "conv1 weight gradient", Seconds: 0.004},
		{Threads: 1, Float32Error: 2e-7, Float64Error: 1e-16, Worst: "output", Pass: true, Seconds: 0.003},
	}}
	assert.Equal(t, "conv2d self-check: 2 thread(s): WRONG (largest relative error float32 3.0e-01, float64 1.0e-16, in the conv1 weight gradient; 4 ms); "+
		"1 thread(s): ok (largest relative error float32 2.0e-07, float64 1.0e-16, in the output; 3 ms)", choice.String())
	assert.Equal(t, "conv2d self-check: not run", ThreadChoice{}.String())
	assert.Equal(t, []string{tuned.String(), choice.String()}, Startup{Allocator: tuned, Threads: choice}.Lines())
}
