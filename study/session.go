package study

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/internal/progress"
)

// session is one call of Run on a locked study folder: the grid, the
// state its run folders were found in, and what the call gathers. While
// runs train, mu guards rows, ens and res.
type session struct {
	x      *runner
	spec   Spec // with defaults
	opts   Options
	jobs   int
	total  int // CPU threads of the whole study
	runs   []Job
	states []runState
	arms   []studyArm
	base   map[string]string // arm -> its baseline arm
	groups []ensembleGroup

	mu   sync.Mutex
	rows map[string]Row         // finished runs, by pairKey
	ens  map[string]EnsembleRow // scored seed ensembles, by ensembleMapKey
	res  *Result
}

// openSession builds the grid of spec in dir, reuses finished runs from
// opts.Reuse, reads every run folder's state and refuses the study when a
// folder does not fit the grid. It writes nothing else.
func openSession(dir string, spec Spec, opts Options) (*session, error) {
	s := &session{spec: spec, opts: opts, jobs: max(1, opts.Jobs), total: opts.Threads}
	if s.total <= 0 {
		s.total = runtime.NumCPU()
	}
	x := &runner{dir: dir, opts: opts, threads: max(1, s.total/s.jobs), scoreLast: spec.ScoreLast}
	x.log = dskd.ConsoleLogger()
	if opts.Logger != nil {
		x.log = *opts.Logger
	}
	s.x = x
	pool, err := openStudyPool(spec.Layout, spec.Data)
	if err != nil {
		return nil, err
	}
	if s.runs, err = spec.grid(dir, pool, x.threads); err != nil {
		return nil, err
	}
	s.arms = spec.arms()
	if s.base, err = baselines(spec, s.arms); err != nil {
		return nil, err
	}
	if len(opts.Reuse) > 0 {
		n, err := reuseFinished(dir, s.runs, opts.Reuse, spec.ScoreLast)
		if err != nil {
			return nil, err
		}
		x.log.Info().Int("runs", n).Strs("from", opts.Reuse).Msg("study: finished runs reused")
	}
	s.states = make([]runState, len(s.runs))
	var refusals []string
	for i, r := range s.runs {
		if s.states[i], err = inspectRun(dir, r); err != nil {
			return nil, err
		}
		if s.states[i].refusal != "" {
			refusals = append(refusals, s.states[i].refusal)
		}
	}
	if len(refusals) > 0 {
		return nil, fmt.Errorf("study: %d run folders do not fit the grid (remove them to train them again, or use another study folder):\n  %s",
			len(refusals), strings.Join(refusals, "\n  "))
	}
	s.res = &Result{Dir: dir, Spec: spec, PoolSize: len(pool), Runs: s.runs, Failed: map[string]string{}}
	if spec.CrossLayout != "" {
		samples, err := openLabelled(spec.CrossLayout, spec.CrossData)
		if err != nil {
			return nil, err
		}
		abs, _ := filepath.Abs(spec.CrossData)
		x.cross = &crossSet{key: fmt.Sprintf("%s:%s:%d", spec.CrossLayout, abs, len(samples)), samples: samples}
		s.res.CrossSize = len(samples)
	}
	s.groups = ensembleGroups(s.runs)
	return s, nil
}

// run scores the waiting seed ensembles, trains and scores the runs that
// need it, scores the ensembles again where that failed, and reports.
func (s *session) run(ctx context.Context) (*Result, error) {
	s.rows, s.ens = map[string]Row{}, map[string]EnsembleRow{}
	var pending []int
	for i, st := range s.states {
		if st.row != nil {
			r := s.runs[i]
			s.rows[pairKey(r.Arm, r.Fold, r.Seed)] = *st.row
		}
		if s.x.needsWork(st) {
			pending = append(pending, i)
		}
	}
	ev := s.x.log.Info().Str("dir", s.x.dir).Int("runs", len(s.runs)).Int("finished", len(s.rows)).Int("to_do", len(pending)).
		Int("jobs", s.jobs).Int("threads_per_job", s.x.threads)
	if left, ok := remainingTime(s.runs, s.rows, s.jobs); ok && len(pending) > 0 {
		ev = ev.Str("eta_study", progress.Duration(left))
	}
	ev.Msg("study")
	// Before training: the ensembles of folds finished by an earlier call
	// (or reused) are scored while their models are surely here.
	if scored, err := s.scoreWaiting(ctx); err != nil {
		return nil, err
	} else if scored {
		s.writeReport()
	}
	if !s.opts.ReportOnly && len(pending) > 0 {
		s.x.runAll(ctx, s.runs, s.states, pending, s.jobs, func(i int, row Row, err error) {
			g, members, ok := s.finished(i, row, err)
			if !ok {
				return
			}
			// Scored as soon as its last seed finishes, with this job's
			// threads: the members' models are on this disk now, and the
			// score lands in ensembles/ (a few hundred bytes) at once.
			e, err := s.x.scoreEnsemble(ctx, g, members, s.x.threads)
			s.mu.Lock()
			defer s.mu.Unlock()
			if !s.x.recordEnsemble(g, e, err, s.ens, s.res.Failed) && err == nil {
				s.writeReport()
			}
		})
		if ctx.Err() != nil {
			s.res.Stopped = true
		}
	}
	// After: the ones whose scoring failed during training, tried again.
	if _, err := s.scoreWaiting(ctx); err != nil {
		return nil, err
	}
	s.writeReport()
	return s.res, s.failure()
}

// writeReport aggregates what is finished and writes the report files; a
// failure to write is logged, never fatal to the study.
func (s *session) writeReport() {
	s.res.aggregate(s.arms, s.base, s.rows)
	s.res.aggregateEnsembles(s.arms, s.base, s.rows, s.ens)
	if err := writeStudyReport(s.res); err != nil {
		s.x.log.Warn().Err(err).Msg("study: writing the report")
	}
}

// scoreWaiting reads the saved ensembles and scores, with all threads,
// those whose seeds have all finished but that are missing or stale.
func (s *session) scoreWaiting(ctx context.Context) (scored bool, err error) {
	if !s.spec.Ensembles {
		return false, nil
	}
	have, todo, err := loadEnsembles(s.x.dir, s.groups, s.rows)
	if err != nil {
		return false, err
	}
	maps.Copy(s.ens, have)
	if s.opts.ReportOnly || s.res.Stopped || len(todo) == 0 {
		return false, nil
	}
	s.x.log.Info().Int("ensembles", len(todo)).Msg("study: scoring seed ensembles")
	s.res.Stopped = s.x.scoreEnsembles(ctx, todo, s.rows, s.total, s.ens, s.res.Failed)
	return true, nil
}

// finished files the outcome of run i and returns the seed ensemble its
// finish completed, if there is one to score.
func (s *session) finished(i int, row Row, err error) (ensembleGroup, []Row, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.runs[i]
	if row.Arm != "" {
		s.rows[pairKey(r.Arm, r.Fold, r.Seed)] = row
	}
	switch {
	case errors.Is(err, errRunStopped):
		s.res.Stopped = true
	case err != nil:
		s.res.Failed[r.ID()] = err.Error()
		s.x.log.Error().Str("run", r.ID()).Err(err).Msg("study: run failed")
	default:
		ev := s.x.log.Info().Str("run", r.ID()).Float64("dice", round4(row.Score("dice_pooled"))).
			Str("finished", fmt.Sprintf("%d/%d", len(s.rows), len(s.runs)))
		if left, ok := remainingTime(s.runs, s.rows, s.jobs); ok && len(s.rows) < len(s.runs) {
			ev = ev.Str("eta_study", progress.Duration(left))
		}
		ev.Msg("study: run finished")
		s.writeReport()
		if s.spec.Ensembles {
			return completedBy(s.groups, r, s.rows, s.ens)
		}
	}
	return ensembleGroup{}, nil, false
}

// failure names every run and seed ensemble that failed; nil when none.
func (s *session) failure() error {
	if len(s.res.Failed) == 0 {
		return nil
	}
	ids := make([]string, 0, len(s.res.Failed))
	for id, e := range s.res.Failed {
		ids = append(ids, id+": "+e)
	}
	sort.Strings(ids)
	return fmt.Errorf("study: %d failed (runs or seed ensembles):\n  %s", len(ids), strings.Join(ids, "\n  "))
}
