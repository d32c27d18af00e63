package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/dskd"
)

// Train runs (or resumes) a training and prints the summary to w. SIGINT
// (Ctrl-C) or SIGTERM stops it at the next step with a checkpoint of that
// point: the error then sets the exit status (130, 143) and says how to
// continue.
func Train(cfg dskd.Config, f *TrainFlags, split data.Split, w io.Writer) (*dskd.Result, error) {
	sig := stopOnSignal()
	defer sig.Stop()
	ctx := sig.ctx
	if f.ValCount > 0 && len(split.Val) == 0 { // deterministic: pass it again with --resume
		var err error
		if split, err = split.WithValidation(0, f.ValCount, cfg.Seed); err != nil {
			return nil, err
		}
	}
	opts := dskd.Options{Overwrite: f.Overwrite, Files: f.files}
	var res *dskd.Result
	var err error
	if f.Resume {
		res, err = dskd.Resume(ctx, cfg.OutDir, split, opts)
	} else {
		res, err = dskd.Train(ctx, cfg, split, opts)
	}
	var stopped *dskd.Interrupted
	if errors.As(err, &stopped) {
		if exit := sig.exitFor(fmt.Sprintf("stopped at epoch %d step %d; continue with: dskd train --resume --out %s",
			stopped.Epoch, stopped.Step, stopped.RunDir)); exit != nil {
			return nil, exit
		}
	}
	if err != nil {
		return nil, err
	}
	PrintResult(w, res)
	return res, nil
}

// PrintResult prints the best epoch, validation and test tables.
func PrintResult(w io.Writer, res *dskd.Result) {
	if res.Rank > 0 {
		return // a distributed run's other ranks: rank 0 reports
	}
	fmt.Fprintf(w, "\nrun folder: %s (report.html, config.json, metrics.csv, overlays/, checkpoints/)\n", res.RunDir)
	if res.BestEpoch < 0 {
		fmt.Fprintln(w, "no epoch finished")
		return
	}
	fmt.Fprintf(w, "best epoch %d: validation Dice %.4f (pooled, threshold %.2f)\n", res.BestEpoch, res.BestScore, res.Threshold)
	fmt.Fprintf(w, "\nvalidation, best model:\n%s\n", res.Validation.String())
	if res.Test != nil {
		fmt.Fprintf(w, "test, best model:\n%s\n", res.Test.String())
	} else {
		fmt.Fprintln(w, "no test split: test metrics skipped")
	}
}
