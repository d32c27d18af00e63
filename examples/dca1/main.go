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
		fmt.Fprintln(os.Stderr, "dca1:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("dca1", flag.ContinueOnError)
	dataDir := fs.String("data", "", "DCA1 folder (N.pgm + N_gt.pgm; default: generated data)")
	var tf cli.TrainFlags
	tf.Register(fs, "runs/dca1")
	if err := fs.Parse(args); err != nil {
		return err
	}
	defaults := dskd.Config{}
	root := *dataDir
	if root == "" {
		defaults = cli.DemoConfig()
		root = filepath.Join(tf.Out, "data-dca1-44x300")
		if err := cli.EnsureSynthetic(root, os.Stderr, cli.SyntheticDCA1(36, 8, 300, 2025)); err != nil {
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
	s, err := cli.DCA1Split(root, os.Stderr)
	if err != nil {
		return err
	}
	_, err = cli.Train(cfg, &tf, s, os.Stdout)
	return err
}
