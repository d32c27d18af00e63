package progress

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock advances by step on every reading.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time { c.t = c.t.Add(c.step); return c.t }

func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		out = append(out, m)
	}
	return out
}

// Plain mode with a step count: a line every Every steps (not at the
// epoch's end), with the running mean loss and the time left. The clock
// ticks 1 s per reading, and is read once by Start and once per Step:
// after k steps k s have passed.
func TestPlainLines(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(-1, 0), step: time.Second} // Start reads 0 s
	r := New(zerolog.New(&buf), Options{Epochs: 3, Every: 2, Now: clock.now})
	r.Start(0, 20)
	for step := range 20 {
		r.Step(step, float64(step+1)) // mean after k steps: (k+1)/2
	}
	r.End()
	lines := logLines(t, &buf)
	require.Len(t, lines, 9, "steps 2, 4, ..., 18 of 20")
	first := lines[0]
	assert.Equal(t, "progress", first["message"])
	assert.Equal(t, float64(0), first["epoch"])
	assert.Equal(t, "2/20", first["step"])
	assert.Equal(t, 1.5, first["loss"])
	assert.Equal(t, "18s", first["eta"], "18 steps left at 1 s each")
	assert.Equal(t, "58s", first["eta_run"], "18 s + 2 epochs of 20 s")
	assert.Equal(t, "18/20", lines[8]["step"])
	assert.Equal(t, 9.5, lines[8]["loss"])

	// The second epoch starts 30 s after the first (validation included):
	// the epoch to come after it is estimated at 30 s.
	buf.Reset()
	clock.t = time.Unix(30, 0).Add(-time.Second) // Start reads 30 s
	r.Start(1, 20)
	for step := range 10 {
		r.Step(step, 1)
	}
	lines = logLines(t, &buf)
	require.Len(t, lines, 5)
	last := lines[4]
	assert.Equal(t, "10/20", last["step"])
	assert.Equal(t, "10s", last["eta"])
	assert.Equal(t, "40s", last["eta_run"], "10 s + 1 epoch of 30 s")
}

// By default a plain line comes at most every 10 s: ten steps a second
// (the demo's pace) log a line per 10 s, not one per step; a new epoch
// waits 10 s from its own start; an epoch shorter than 10 s logs none (its
// epoch line, written by the trainer, says it all).
func TestPlainLinesAtMostEveryTenSeconds(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0), step: 100 * time.Millisecond}
	r := New(zerolog.New(&buf), Options{Epochs: 2, Now: clock.now})
	r.Start(0, 300) // reads 0.1 s; step k ends at 0.1 (k+1) s
	for step := range 300 {
		r.Step(step, 1)
	}
	r.End()
	lines := logLines(t, &buf)
	require.Len(t, lines, 2, "30 s of steps: lines at 10 and 20 s, none at the epoch's end")
	assert.Equal(t, "100/300", lines[0]["step"])
	assert.Equal(t, "20s", lines[0]["eta"])
	assert.Equal(t, "50s", lines[0]["eta_run"], "20 s + 1 epoch at this pace (30 s)")
	assert.Equal(t, "200/300", lines[1]["step"])

	buf.Reset()
	r.Start(1, 99) // 9.9 s of steps
	for step := range 99 {
		r.Step(step, 1)
	}
	assert.Empty(t, buf.String(), "an epoch under 10 s logs no progress line")

	// Slow steps (25 s each): a line after every step but the last.
	buf.Reset()
	slow := &fakeClock{t: time.Unix(0, 0), step: 25 * time.Second}
	r = New(zerolog.New(&buf), Options{Now: slow.now})
	r.Start(0, 4)
	for step := range 4 {
		r.Step(step, 1)
	}
	lines = logLines(t, &buf)
	require.Len(t, lines, 3)
	assert.Equal(t, []any{"1/4", "2/4", "3/4"}, []any{lines[0]["step"], lines[1]["step"], lines[2]["step"]})
}

// Interval sets the least time between plain lines.
func TestPlainLinesInterval(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0), step: time.Second}
	r := New(zerolog.New(&buf), Options{Interval: 3 * time.Second, Now: clock.now})
	r.Start(0, 10) // step k ends 1+k s after Start
	for step := range 10 {
		r.Step(step, 1)
	}
	lines := logLines(t, &buf)
	require.Len(t, lines, 3)
	assert.Equal(t, []any{"3/10", "6/10", "9/10"}, []any{lines[0]["step"], lines[1]["step"], lines[2]["step"]})
}

func TestEveryAndNoRunETA(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0), step: time.Second}
	r := New(zerolog.New(&buf), Options{Every: 4, Now: clock.now})
	r.Start(2, 10)
	for step := range 10 {
		r.Step(step, 1)
	}
	lines := logLines(t, &buf)
	require.Len(t, lines, 2, "steps 4 and 8")
	assert.Equal(t, "8/10", lines[1]["step"])
	assert.NotContains(t, lines[1], "eta_run", "no epoch count, no run ETA")
}

func TestNegativeEveryIsSilent(t *testing.T) {
	var logs, out bytes.Buffer
	for _, live := range []bool{false, true} {
		r := New(zerolog.New(&logs), Options{Every: -1, Live: live, Out: &out})
		r.Start(0, 10)
		for step := range 10 {
			r.Step(step, 1)
		}
		r.End()
	}
	assert.Empty(t, logs.String())
	assert.Empty(t, out.String())
}

// Live mode: redraws in place at most every Redraw (and always at the last
// step), logs nothing, and End clears the line.
func TestLiveRedrawsInPlace(t *testing.T) {
	var logs, out bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0), step: 40 * time.Millisecond}
	r := New(zerolog.New(&logs), Options{Epochs: 5, Live: true, Out: &out, Now: clock.now})
	r.Start(1, 10)
	for step := range 10 {
		r.Step(step, 0.5)
	}
	r.End()
	assert.Empty(t, logs.String())
	s := out.String()
	// Start reads 40 ms; steps end at 80, 120, ..., 440 ms: drawn at 80
	// (the first), 200, 320 and 440 (the last step) ms.
	assert.Equal(t, 4, strings.Count(s, "\x1b[K")-1, "4 draws and the final clear:\n%q", s)
	assert.True(t, strings.HasSuffix(s, "\r\x1b[K"), "End clears the line")
	assert.NotContains(t, s, "\n", "the line never scrolls")
	assert.Contains(t, s, "\repoch 1/5 [####################] 10/10 loss 0.5000 · epoch 0s · run 1s\x1b[K",
		"last draw: run left = 3 epochs at this epoch's pace (0.4 s)")
}

func TestLine(t *testing.T) {
	r := New(zerolog.Nop(), Options{Epochs: 50})
	start := time.Unix(100, 0)
	r.Start(3, 300)
	r.start, r.runStart, r.epochsSeen = start, start.Add(-3*time.Minute), 3 // 1 min per epoch
	r.done, r.lossSum = 120, 120*0.6123
	got := r.Line(start.Add(48 * time.Second)) // 0.4 s per step, 180 steps left
	assert.Equal(t, "epoch 3/50 [########------------] 120/300 loss 0.6123 · epoch 1m12s · run 47m12s", got)
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 1499 * time.Millisecond: "1s", 65 * time.Second: "1m05s",
		2*time.Hour + 4*time.Minute + 31*time.Second: "2h04m",
	} {
		assert.Equal(t, want, Duration(d), d.String())
	}
}
