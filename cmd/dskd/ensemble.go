package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/dskd"
)

// pathFlags collects a repeated path flag (--run, --weights).
type pathFlags []string

func (p *pathFlags) String() string { return strings.Join(*p, ",") }

func (p *pathFlags) Set(s string) error {
	if s == "" {
		return errors.New("empty path")
	}
	*p = append(*p, s)
	return nil
}

// OpenEnsemble opens the models of `dskd predict`/`eval`: run or
// checkpoint folders, then weights files (.safetensors, .pt), at least
// one in all. Several models predict their mean probability
// (dskd.Ensemble); opts.Threshold, when set, binarises it, else the mean
// of the models' thresholds.
func OpenEnsemble(runs, weights []string, opts dskd.PredictOptions) (*dskd.Ensemble, error) {
	if len(runs)+len(weights) == 0 {
		return nil, errors.New("--run or --weights is required")
	}
	members := make([]*dskd.Predictor, 0, len(runs)+len(weights))
	fail := func(err error) (*dskd.Ensemble, error) {
		for _, m := range members {
			m.Close()
		}
		return nil, err
	}
	for _, r := range runs {
		p, err := dskd.LoadPredictor(r, opts)
		if err != nil {
			return fail(err)
		}
		members = append(members, p)
	}
	for _, w := range weights {
		p, err := dskd.LoadPredictorWeights(w, opts)
		if err != nil {
			return fail(err)
		}
		members = append(members, p)
	}
	warnStartup(members[0]) // one process, one libtorch: the same for all
	e, err := dskd.NewEnsemble(members, opts.Threshold)
	if err != nil {
		return fail(err)
	}
	return e, nil
}

// ensembleSplitSamples returns the samples of part ("test" or "val") that
// the members' run folders' split.json name. Every member must name the
// same ones: scoring an ensemble on images one of its models trained on
// would flatter it.
func ensembleSplitSamples(members []*dskd.Predictor, part string, pool []data.Sample) ([]data.Sample, error) {
	runDirs := make([]string, len(members))
	for i, m := range members {
		if runDirs[i] = m.RunDir(); runDirs[i] == "" {
			return nil, fmt.Errorf("model %d comes from a weights file, which has no split.json", i+1)
		}
	}
	return sharedSplitSamples(runDirs, part, pool)
}

// sharedSplitSamples is runSplitSamples for several run folders that must
// name the same samples.
func sharedSplitSamples(runDirs []string, part string, pool []data.Sample) ([]data.Sample, error) {
	var first []data.Sample
	for i, dir := range runDirs {
		got, err := runSplitSamples(dir, part, pool)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			first = got
			continue
		}
		if !slices.EqualFunc(first, got, func(a, b data.Sample) bool { return a.Name == b.Name }) {
			return nil, fmt.Errorf("%s and %s hold out different %s samples: an ensemble is scored only on samples all its models held out", runDirs[0], dir, part)
		}
	}
	return first, nil
}

// describeModels names the models an evaluation used: "epoch N of RUN",
// one per member.
func describeModels(e *dskd.Ensemble, paths []string) string {
	parts := make([]string, len(e.Members()))
	for i, m := range e.Members() {
		parts[i] = fmt.Sprintf("epoch %d of %s", m.State.Epoch, paths[i])
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return fmt.Sprintf("mean of %d models (%s)", len(parts), strings.Join(parts, "; "))
}
