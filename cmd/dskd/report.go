package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/angioseg/dskd/internal/cmdline"
	"github.com/angioseg/dskd/report"
)

// Report is `dskd report --run RUN`: it writes RUN/report.html from the
// files in the run folder (also for a run that stopped or crashed) and
// prints its path to w.
func Report(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("dskd report", flag.ContinueOnError)
	runDir := fs.String("run", "", "run folder (required)")
	cmdline.Usage(fs, "usage: dskd report --run RUN\nwrites RUN/report.html from the files in the run folder")
	if err := cmdline.ParseNoArgs(fs, args); err != nil {
		return err
	}
	if *runDir == "" {
		return fmt.Errorf("--run is required")
	}
	if err := report.WriteHTML(*runDir); err != nil {
		return err
	}
	fmt.Fprintln(w, filepath.Join(*runDir, report.ReportFile))
	return nil
}
