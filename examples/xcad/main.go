package main

import (
	"flag"
	"os"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/internal/cli"
	"github.com/angioseg/dskd/internal/cmdline"
)

func main() {
	var split string
	var folds, fold int
	ex := cli.Example{
		Name:           "xcad",
		SyntheticDir:   "data-xcad-56x256",
		WriteSynthetic: cli.SyntheticXCAD(56, 256, 2025),
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&split, "split", "kfold", "kfold (seeded) or fixed (100/26)")
			fs.IntVar(&folds, "folds", 5, "folds of --split kfold")
			fs.IntVar(&fold, "fold", 0, "the test fold of --split kfold")
		},
		Split: func(root string, seed int64) (data.Split, error) {
			return cli.XCADSplit(root, split, folds, fold, seed)
		},
	}
	os.Exit(cmdline.Run("xcad", os.Args[1:], ex.Run, os.Stderr))
}
