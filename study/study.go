package study

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/internal/runlock"

	"github.com/rs/zerolog"
)

// Options are the parts of a study that are not its spec: they change
// how the runs execute, not what they measure.
type Options struct {
	// Jobs is the number of runs trained at once; default 1.
	Jobs int
	// Threads is the number of CPU threads the jobs share: each new run
	// gets Threads/Jobs (at least 1) libtorch and data threads; default
	// all cores. A resumed run keeps the count it started with, which its
	// exact continuation needs.
	Threads int
	// ReportOnly trains nothing and reports the finished runs.
	ReportOnly bool
	// Reuse names other study folders whose finished runs stand for runs
	// of this grid with the same configuration hash (configuration and
	// samples): their small files are copied in, so only the rest trains.
	Reuse []string
	// Logger receives the study's lines and each run's (with run=ID);
	// nil: a console logger on stderr.
	Logger *zerolog.Logger
	// Hooks, when set, gives each run its hooks. dskd.ErrStop from one stops
	// the study: that run and the runs in progress (cancelled) stay
	// resumable and no other run starts. With Jobs > 1, hooks of
	// different runs are called concurrently.
	Hooks func(Job) dskd.Hooks
}

// Run trains the grid of spec in the study folder dir and reports it.
// One process at a time: Run holds the folder's lock (package runlock)
// while it trains or reports, and each run's folder is locked by dskd.Train.
//
// Each run is a run folder, dir/runs/ARM/fold-F_seed-S: finished runs are
// skipped, interrupted ones continue with dskd.Resume (exactly as if never
// interrupted), so calling Study again after a kill, a Ctrl-C or a stop
// resumes, and calling it on a finished study only reports. A run folder
// whose configuration hash differs from what the grid now gives is
// refused, with the fields that changed, before anything trains.
//
// Cross-validation: the pool (the data set's training ids) is split into
// spec.Folds seeded folds; a run trains on the other folds minus an inner
// validation carve, which alone picks its best epoch (and threshold, with
// PickThreshold), and is scored on its held-out fold, which never
// influences training or selection.
//
// Study saves spec as dir/study.json (LoadSpec reads it back) and
// writes dir/results.csv, dir/results.md and dir/dice_by_arm.png after
// every finished run and at the end. On a stop or a cancelled ctx it
// returns the partial result with Stopped set and a nil error; when runs
// fail it returns the result of the others with an error naming them.
func Run(ctx context.Context, dir string, spec Spec, opts Options) (*Result, error) {
	given := spec
	spec, err := spec.WithDefaults()
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, errors.New("study: no study folder given")
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	lock, err := runlock.Acquire(dir)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	defer lock.Release()
	s, err := openSession(dir, spec, opts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	if err := writeJSON(filepath.Join(dir, SpecFile), given); err != nil {
		return nil, err
	}
	return s.run(ctx)
}

// runAll executes the pending runs, jobs at a time, in grid order, and
// calls done after each. A stopped run cancels the others and ends it.
func (x *runner) runAll(ctx context.Context, runs []Job, states []runState, pending []int, jobs int, done func(int, Row, error)) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, len(pending)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				row, err := x.execute(ctx, runs[i], states[i])
				if errors.Is(err, errRunStopped) {
					cancel()
				}
				done(i, row, err)
			}
		}()
	}
feed:
	for _, i := range pending {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
}
