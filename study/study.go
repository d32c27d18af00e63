package study

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
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
	jobs := max(1, opts.Jobs)
	total := opts.Threads
	if total <= 0 {
		total = runtime.NumCPU()
	}
	x := &runner{dir: dir, opts: opts, threads: max(1, total/jobs), scoreLast: spec.ScoreLast}
	x.log = dskd.ConsoleLogger()
	if opts.Logger != nil {
		x.log = *opts.Logger
	}
	pool, err := openStudyPool(spec.Layout, spec.Data)
	if err != nil {
		return nil, err
	}
	runs, err := spec.grid(dir, pool, x.threads)
	if err != nil {
		return nil, err
	}
	arms := spec.arms()
	base, err := baselines(spec, arms)
	if err != nil {
		return nil, err
	}
	if len(opts.Reuse) > 0 {
		n, err := reuseFinished(dir, runs, opts.Reuse)
		if err != nil {
			return nil, err
		}
		x.log.Info().Int("runs", n).Strs("from", opts.Reuse).Msg("study: finished runs reused")
	}
	states := make([]runState, len(runs))
	var refusals []string
	for i, r := range runs {
		if states[i], err = inspectRun(dir, r); err != nil {
			return nil, err
		}
		if states[i].refusal != "" {
			refusals = append(refusals, states[i].refusal)
		}
	}
	if len(refusals) > 0 {
		return nil, fmt.Errorf("study: %d run folders do not fit the grid (remove them to train them again, or use another study folder):\n  %s",
			len(refusals), strings.Join(refusals, "\n  "))
	}
	res := &Result{Dir: dir, Spec: spec, PoolSize: len(pool), Runs: runs, Failed: map[string]string{}}
	if spec.CrossLayout != "" {
		samples, err := openLabelled(spec.CrossLayout, spec.CrossData)
		if err != nil {
			return nil, err
		}
		abs, _ := filepath.Abs(spec.CrossData)
		x.cross = &crossSet{key: fmt.Sprintf("%s:%s:%d", spec.CrossLayout, abs, len(samples)), samples: samples}
		res.CrossSize = len(samples)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	if err := writeJSON(filepath.Join(dir, SpecFile), given); err != nil {
		return nil, err
	}

	rows := map[string]Row{}
	var pending []int
	for i, st := range states {
		if st.row != nil {
			rows[pairKey(runs[i].Arm, runs[i].Fold, runs[i].Seed)] = *st.row
		}
		if x.needsWork(st) {
			pending = append(pending, i)
		}
	}
	x.log.Info().Str("dir", dir).Int("runs", len(runs)).Int("finished", len(rows)).Int("to_do", len(pending)).
		Int("jobs", jobs).Int("threads_per_job", x.threads).Msg("study")
	var mu sync.Mutex // guards rows, ens and res
	ens := map[string]EnsembleRow{}
	groups := ensembleGroups(runs)
	writeReport := func() {
		res.aggregate(arms, base, rows)
		res.aggregateEnsembles(arms, base, rows, ens)
		if err := writeStudyReport(res); err != nil {
			x.log.Warn().Err(err).Msg("study: writing the report")
		}
	}
	// scoreWaiting reads the saved ensembles and scores, with all threads,
	// those whose seeds have all finished but that are missing or stale.
	scoreWaiting := func() (scored bool, err error) {
		if !spec.Ensembles {
			return false, nil
		}
		have, todo, err := loadEnsembles(dir, groups, rows)
		if err != nil {
			return false, err
		}
		maps.Copy(ens, have)
		if opts.ReportOnly || res.Stopped || len(todo) == 0 {
			return false, nil
		}
		x.log.Info().Int("ensembles", len(todo)).Msg("study: scoring seed ensembles")
		res.Stopped = x.scoreEnsembles(ctx, todo, rows, total, ens, res.Failed)
		return true, nil
	}
	// Before training: the ensembles of folds finished by an earlier call
	// (or reused) are scored while their models are surely here.
	if scored, err := scoreWaiting(); err != nil {
		return nil, err
	} else if scored {
		writeReport()
	}
	// finished files a run's outcome and returns the seed ensemble its
	// finish completed, if there is one to score.
	finished := func(i int, row Row, err error) (ensembleGroup, []Row, bool) {
		mu.Lock()
		defer mu.Unlock()
		r := runs[i]
		if row.Arm != "" {
			rows[pairKey(r.Arm, r.Fold, r.Seed)] = row
		}
		switch {
		case errors.Is(err, errRunStopped):
			res.Stopped = true
		case err != nil:
			res.Failed[r.ID()] = err.Error()
			x.log.Error().Str("run", r.ID()).Err(err).Msg("study: run failed")
		default:
			x.log.Info().Str("run", r.ID()).Float64("dice", round4(row.Score("dice_pooled"))).Msg("study: run finished")
			writeReport()
			if spec.Ensembles {
				return completedBy(groups, r, rows, ens)
			}
		}
		return ensembleGroup{}, nil, false
	}
	if !opts.ReportOnly && len(pending) > 0 {
		x.runAll(ctx, runs, states, pending, jobs, func(i int, row Row, err error) {
			g, members, ok := finished(i, row, err)
			if !ok {
				return
			}
			// Scored as soon as its last seed finishes, with this job's
			// threads: the members' models are on this disk now, and the
			// score lands in ensembles/ (a few hundred bytes) at once.
			e, err := x.scoreEnsemble(ctx, g, members, x.threads)
			mu.Lock()
			defer mu.Unlock()
			if !x.recordEnsemble(g, e, err, ens, res.Failed) && err == nil {
				writeReport()
			}
		})
		if ctx.Err() != nil {
			res.Stopped = true
		}
	}
	// After: the ones whose scoring failed during training, tried again.
	if _, err := scoreWaiting(); err != nil {
		return nil, err
	}
	writeReport()
	if len(res.Failed) > 0 {
		ids := make([]string, 0, len(res.Failed))
		for id, e := range res.Failed {
			ids = append(ids, id+": "+e)
		}
		sort.Strings(ids)
		return res, fmt.Errorf("study: %d failed (runs or seed ensembles):\n  %s", len(ids), strings.Join(ids, "\n  "))
	}
	return res, nil
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
