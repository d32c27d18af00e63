package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/angioseg/dskd/data/synth"
	"github.com/angioseg/dskd/internal/cmdline"
)

func main() {
	os.Exit(cmdline.Run("dskd-synth", os.Args[1:], run, os.Stderr))
}

func run(args []string) error {
	fs := flag.NewFlagSet("dskd-synth", flag.ContinueOnError)
	layout := fs.String("layout", "dca1", "output layout: dca1, xcad, generic or testdata")
	out := fs.String("out", "", "output folder (required)")
	n := fs.Int("n", 20, "number of labelled images")
	unlabelled := fs.Int("unlabelled", 4, "xcad only: number of unlabelled train/ frames")
	size := fs.Int("size", 0, "image side in pixels (0: layout default, dca1/generic 300, xcad 512)")
	seed := fs.Int64("seed", 1, "random seed; same seed gives identical files")
	cmdline.Usage(fs, "usage: dskd-synth --out DIR [--layout dca1|xcad|generic|testdata] [flags]\nwrites generated angiograms with exact masks")
	if err := cmdline.ParseNoArgs(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("--out is required")
	}
	if *n < 1 || *unlabelled < 0 || (*size != 0 && *size < 32) {
		return fmt.Errorf("invalid --n %d, --unlabelled %d or --size %d", *n, *unlabelled, *size)
	}
	switch *layout {
	case "dca1":
		ids := make([]int, *n)
		for i := range ids {
			ids[i] = i + 1
		}
		return synth.WriteDCA1(*out, ids, *size, *seed)
	case "xcad":
		return synth.WriteXCAD(*out, *n, *unlabelled, *size, *seed)
	case "generic":
		return synth.WriteGeneric(*out, *n, *size, *seed)
	case "testdata":
		return synth.WriteTestdata(*out)
	}
	return fmt.Errorf("unknown --layout %q (want dca1, xcad, generic or testdata)", *layout)
}
