package main

import (
	"os"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/internal/cli"
	"github.com/angioseg/dskd/internal/cmdline"
)

func main() {
	ex := cli.Example{
		Name:           "dca1",
		SyntheticDir:   "data-dca1-44x300",
		WriteSynthetic: cli.SyntheticDCA1(36, 8, 300, 2025),
		Split: func(root string, _ int64) (data.Split, error) {
			return cli.DCA1Split(root, os.Stderr)
		},
	}
	os.Exit(cmdline.Run("dca1", os.Args[1:], ex.Run, os.Stderr))
}
