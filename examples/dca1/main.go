package main

import (
	"fmt"
	"os"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/internal/cli"
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
	if err := ex.Run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dca1:", err)
		os.Exit(1)
	}
}
