package cli

import (
	"flag"
	"os"
	"path/filepath"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/internal/cmdline"
)

// Example is an end-to-end program over one data set layout: with --data it
// trains on that folder with METHOD.md's defaults; without, it generates a
// data set in the same layout and trains DemoConfig on it.
type Example struct {
	Name           string
	SyntheticDir   string                 // folder name under the run folder for generated data
	WriteSynthetic func(dir string) error // writes the generated data set
	// Flags registers layout-specific flags; Split opens and splits a folder.
	Flags func(fs *flag.FlagSet)
	Split func(root string, seed int64) (data.Split, error)
}

// Run parses args and trains.
func (e Example) Run(args []string) error {
	fs := flag.NewFlagSet(e.Name, flag.ContinueOnError)
	dataDir := fs.String("data", "", e.Name+" folder in the official layout (default: generated data)")
	if e.Flags != nil {
		e.Flags(fs)
	}
	var tf TrainFlags
	tf.Register(fs, filepath.Join("runs", e.Name))
	cmdline.Usage(fs, "usage: "+e.Name+" [--data DIR] [flags]\ntrains and evaluates; without --data on a generated data set in the "+e.Name+" layout")
	if err := cmdline.ParseNoArgs(fs, args); err != nil {
		return err
	}
	defaults := dskd.Config{}
	root := *dataDir
	if root == "" {
		defaults = DemoConfig()
		root = filepath.Join(tf.Out, e.SyntheticDir)
		if err := EnsureSynthetic(root, os.Stderr, e.WriteSynthetic); err != nil {
			return err
		}
		if !tf.Set("overwrite") && !tf.Resume {
			tf.Overwrite = true // the demo starts over each time
		}
		if !tf.Set("val-count") && !tf.Set("val-fraction") {
			tf.ValCount = 8
		}
	}
	cfg, err := tf.Config(defaults)
	if err != nil {
		return err
	}
	split, err := e.Split(root, cfg.Seed)
	if err != nil {
		return err
	}
	_, err = Train(cfg, &tf, split, os.Stdout)
	return err
}
