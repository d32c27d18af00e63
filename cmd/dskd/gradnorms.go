package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/internal/cmdline"
)

// GradNorms is `dskd gradnorms --run RUN`: it summarises the run's
// grad_norms.csv (written with --grad-norms N) as a Markdown table, per
// span of epochs and loss term, for one parameter group.
func GradNorms(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("dskd gradnorms", flag.ContinueOnError)
	runDir := fs.String("run", "", "run folder trained with --grad-norms (required)")
	group := fs.String("group", dskd.GroupAll, "parameter group: all, encoder, decoder, head, side<level>")
	spans := fs.Int("spans", 4, "equal spans of epochs to average over")
	cmdline.Usage(fs, "usage: dskd gradnorms --run RUN [--group G] [--spans N]\nsummarises RUN/grad_norms.csv: each loss term's mean gradient norm and cosines, per span of epochs")
	if err := cmdline.ParseNoArgs(fs, args); err != nil {
		return err
	}
	if *runDir == "" {
		return fmt.Errorf("--run is required")
	}
	if *spans < 1 {
		return fmt.Errorf("--spans %d: must be >= 1", *spans)
	}
	rows, err := dskd.ReadGradNorms(filepath.Join(*runDir, dskd.GradNormsFile))
	if err != nil {
		return err
	}
	sum := dskd.SummariseGradNorms(rows, *group, *spans)
	if len(sum) == 0 {
		return fmt.Errorf("%s: no rows for group %q", filepath.Join(*runDir, dskd.GradNormsFile), *group)
	}
	fmt.Fprintf(w, "Gradients of %s, group %s (means over the measured steps; cos < 0: the term pulls against it)\n\n", *runDir, *group)
	fmt.Fprintln(w, "| epochs | term | steps | weight | norm | cos to Dice | cos to step | steps against Dice |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for _, s := range sum {
		fmt.Fprintf(w, "| %d–%d | %s | %d | %.3g | %.4g | %s | %s | %s |\n", s.From, s.To, s.Term, s.Steps, s.Weight, s.Norm,
			signed(s.CosDice), signed(s.CosTotal), percent(s.AgainstDice))
	}
	return nil
}

func signed(v float64) string {
	if v != v {
		return "–"
	}
	return fmt.Sprintf("%+.3f", v)
}

func percent(v float64) string {
	if v != v {
		return "–"
	}
	return fmt.Sprintf("%.0f %%", 100*v)
}
