package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/internal/cli"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "xcad:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("xcad", flag.ContinueOnError)
	dataDir := fs.String("data", "", "XCAD folder in the official layout (default: generated data)")
	split := fs.String("split", "kfold", "kfold (seeded) or fixed (100/26)")
	folds := fs.Int("folds", 5, "folds of --split kfold")
	fold := fs.Int("fold", 0, "the test fold of --split kfold")
	var tf cli.TrainFlags
	tf.Register(fs, "runs/xcad")
	if err := fs.Parse(args); err != nil {
		return err
	}
	defaults := dskd.Config{}
	root := *dataDir
	if root == "" {
		// The demo: sized to finish in a few minutes on 2 cores while the
		// validation Dice still rises visibly over the epochs.
		defaults = cli.DemoConfig()
		root = filepath.Join(tf.Out, "data-xcad-56x256")
		if err := cli.EnsureSynthetic(root, os.Stderr, cli.SyntheticXCAD(56, 256, 2025)); err != nil {
			return err
		}
		if !tf.Set("overwrite") && !tf.Resume {
			tf.Overwrite = true
		}
		if !tf.Set("val-count") && !tf.Set("val-fraction") {
			tf.ValCount = 8
		}
	}
	cfg, err := tf.Config(defaults)
	if err != nil {
		return err
	}
	s, err := cli.XCADSplit(root, *split, *folds, *fold, cfg.Seed)
	if err != nil {
		return err
	}
	_, err = cli.Train(cfg, &tf, s, os.Stdout)
	return err
}
