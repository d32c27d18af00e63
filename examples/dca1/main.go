package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/data/synth"
	"github.com/angioseg/dskd/dskd"
)

//go:embed recipe.json
var recipe []byte // the shipped DCA1 recipe (docs/results/)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "dca1:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("dca1", flag.ContinueOnError)
	fs.SetOutput(stdout)
	dir := fs.String("data", "", "DCA1 folder: N.pgm and N_gt.pgm (default: generated angiograms)")
	config := fs.String("config", "", "a dskd.Config JSON file (default: the shipped recipe, examples/dca1/recipe.json)")
	out := fs.String("out", "runs/dca1", "run folder")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; -h lists them)", fs.Arg(0))
	}
	var cfg dskd.Config
	if err := json.Unmarshal(recipe, &cfg); err != nil {
		return err
	}
	if *config != "" {
		var err error
		if cfg, err = dskd.LoadConfig(*config); err != nil {
			return err
		}
	}
	cfg.OutDir = *out
	if *dir == "" { // 36 training and 8 test angiograms in the DCA1 layout
		*dir = filepath.Join(*out, "generated-data")
		ids := []int{101, 102, 103, 104, 105, 106, 107, 108}
		for id := 1; id <= 36; id++ {
			ids = append(ids, id)
		}
		if err := synth.WriteDCA1(*dir, ids, 300, 2025); err != nil {
			return err
		}
	}
	d, err := data.OpenDCA1(*dir)
	if err != nil {
		return err
	}
	split, err := d.ConventionalSplit() // ids 1-100 train (validation carved from them), 101-134 test
	if err != nil {                     // a folder with the training ids only: train and validate, no test report
		split = data.Split{Train: d.TrainSamples()}
	}
	res, err := dskd.Train(context.Background(), cfg, split, dskd.Options{Overwrite: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "best epoch %d, validation Dice %.4f; report: %s\n", res.BestEpoch, res.BestScore, filepath.Join(res.RunDir, "report.html"))
	if res.Test == nil {
		return nil
	}
	fmt.Fprintf(stdout, "test, best model:\n%s\n", res.Test)
	// The run's inference settings (TTA, precision), so the mask matches the test report.
	p, err := dskd.LoadPredictor(res.RunDir, dskd.PredictOptions{InferOptions: cfg.InferOptions()})
	if err != nil {
		return err
	}
	defer p.Close()
	files, err := p.PredictFile(split.Test[0].ImagePath, filepath.Join(res.RunDir, "predicted"))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "predicted", split.Test[0].Name, "->", files.Mask)
	return nil
}
