package progress

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// Options configure a Reporter. The zero value logs a plain line at most
// every 10 s and shows no run ETA.
type Options struct {
	// Epochs is the run's epoch count, for the time left in the run;
	// 0: not shown.
	Epochs int
	// Every, when positive, is a fixed number of steps between plain
	// lines, in place of Interval (a line every Every steps, however often
	// that is); 0: Interval decides; negative: no progress at all (plain
	// or live).
	Every int
	// Interval is the least time between two plain lines (the first comes
	// Interval after the epoch's start); default 10 s. Epochs shorter than
	// that log no plain line: the trainer's epoch line says it all.
	Interval time.Duration
	// Live redraws a line on Out instead of logging (use IsTerminal).
	Live bool
	// Out receives the live line; default os.Stderr.
	Out io.Writer
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Redraw is the least time between two live redraws; default 100 ms.
	Redraw time.Duration
}

// Reporter follows one run, an epoch at a time. It is not safe for
// concurrent use; the trainer calls it from its loop.
type Reporter struct {
	log zerolog.Logger
	o   Options

	epoch, steps int
	start, drawn time.Time
	logged       time.Time // the last plain line, or the epoch's start
	lossSum      float64
	done         int
	shown        bool // a live line is on screen

	runStart   time.Time // Start of the first epoch seen
	epochsSeen int       // epochs started before the current one
}

// IsTerminal reports whether f is a terminal (not a file, pipe or
// /dev/null).
func IsTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// New returns a Reporter logging plain lines to log, or drawing on
// o.Out when o.Live.
func New(log zerolog.Logger, o Options) *Reporter {
	if o.Out == nil {
		o.Out = os.Stderr
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Redraw == 0 {
		o.Redraw = 100 * time.Millisecond
	}
	if o.Interval == 0 {
		o.Interval = 10 * time.Second
	}
	return &Reporter{log: log, o: o}
}

// Start begins epoch (0-based) of steps optimizer steps.
func (r *Reporter) Start(epoch, steps int) {
	now := r.o.Now()
	if r.runStart.IsZero() {
		r.runStart = now
	} else {
		r.epochsSeen++
	}
	r.epoch, r.steps, r.start, r.logged = epoch, steps, now, now
	r.lossSum, r.done, r.drawn = 0, 0, time.Time{}
}

// Step records that step (0-based) finished with the given loss.
func (r *Reporter) Step(step int, loss float64) {
	if r.o.Every < 0 {
		return
	}
	r.done = step + 1
	r.lossSum += loss
	now := r.o.Now()
	if r.o.Live {
		if r.done == r.steps || now.Sub(r.drawn) >= r.o.Redraw {
			r.drawn = now
			r.shown = true
			fmt.Fprintf(r.o.Out, "\r%s\x1b[K", r.Line(now))
		}
		return
	}
	if r.plainLineDue(now) {
		r.logged = now
		ev := r.log.Info().Int("epoch", r.epoch).Str("step", fmt.Sprintf("%d/%d", r.done, r.steps)).
			Float64("loss", round4(r.meanLoss())).Str("eta", Duration(r.epochLeft(now)))
		if left, ok := r.runLeft(now); ok {
			ev = ev.Str("eta_run", Duration(left))
		}
		ev.Msg("progress")
	}
}

// plainLineDue reports whether a plain line is due after the step that
// ended at now: never at the epoch's last step (the epoch's log line
// follows), else every Options.Every steps, or once Options.Interval has
// passed since the last line (or the epoch's start).
func (r *Reporter) plainLineDue(now time.Time) bool {
	if r.done >= r.steps {
		return false
	}
	if r.o.Every > 0 {
		return r.done%r.o.Every == 0
	}
	return now.Sub(r.logged) >= r.o.Interval
}

// End clears the live line, so the epoch's log line starts on a clean
// line.
func (r *Reporter) End() {
	if r.shown {
		fmt.Fprint(r.o.Out, "\r\x1b[K")
		r.shown = false
	}
}

// Line is the live line at time now, e.g.
//
//	epoch 3/50 [########------------] 120/300 loss 0.6123 · epoch 1m02s · run 52m10s
func (r *Reporter) Line(now time.Time) string {
	const width = 20
	fill := 0
	if r.steps > 0 {
		fill = min(width, r.done*width/r.steps)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %d", r.epoch)
	if r.o.Epochs > 0 {
		fmt.Fprintf(&b, "/%d", r.o.Epochs)
	}
	fmt.Fprintf(&b, " [%s%s] %d/%d loss %.4f · epoch %s", strings.Repeat("#", fill), strings.Repeat("-", width-fill),
		r.done, r.steps, r.meanLoss(), Duration(r.epochLeft(now)))
	if left, ok := r.runLeft(now); ok {
		fmt.Fprintf(&b, " · run %s", Duration(left))
	}
	return b.String()
}

func (r *Reporter) meanLoss() float64 {
	if r.done == 0 {
		return 0
	}
	return r.lossSum / float64(r.done)
}

// epochLeft is the time the epoch's remaining steps take at its pace so far.
func (r *Reporter) epochLeft(now time.Time) time.Duration {
	if r.done == 0 {
		return 0
	}
	per := float64(now.Sub(r.start)) / float64(r.done)
	return time.Duration(per * float64(r.steps-r.done))
}

// runLeft adds the epochs still to come after this one.
func (r *Reporter) runLeft(now time.Time) (time.Duration, bool) {
	if r.o.Epochs <= 0 {
		return 0, false
	}
	rest := max(0, r.o.Epochs-r.epoch-1)
	var perEpoch time.Duration
	if r.epochsSeen > 0 {
		perEpoch = r.start.Sub(r.runStart) / time.Duration(r.epochsSeen)
	} else if r.done > 0 {
		perEpoch = time.Duration(float64(now.Sub(r.start)) / float64(r.done) * float64(r.steps))
	}
	return r.epochLeft(now) + time.Duration(rest)*perEpoch, true
}

// Duration prints d rounded for a person: 45s, 3m05s, 2h04m.
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
