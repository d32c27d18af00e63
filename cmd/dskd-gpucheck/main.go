package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/angioseg/dskd/internal/tooling/gpucheck"
)

func main() {
	cfg, err := parse(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dskd-gpucheck:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	r, err := gpucheck.Run(ctx, cfg, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dskd-gpucheck:", err)
		os.Exit(2)
	}
	verdict := "passed"
	if !r.OK {
		verdict = "FAILED (see the phases table)"
	}
	fmt.Printf("gpu-check %s on %s in %.0f s; report: %s/report.md (and report.json)\n", verdict, r.Device, r.WallSeconds, r.Folder)
	if !r.OK {
		os.Exit(1)
	}
}

func parse(args []string) (gpucheck.Config, error) {
	var c gpucheck.Config
	fs := flag.NewFlagSet("dskd-gpucheck", flag.ContinueOnError)
	fs.StringVar(&c.Device, "device", "auto", "auto (CUDA when libtorch has it and a GPU is visible), cpu, cuda, cuda:N")
	fs.StringVar(&c.Data, "data", "", "DCA1-layout folder (N.pgm, N_gt.pgm) for the training (default: generated)")
	fs.StringVar(&c.Out, "out", "", "report folder (default: <reports>/gpu-check-<UTC time>)")
	fs.StringVar(&c.Reports, "reports", "", "parent of the default report folder (default: <project>/runs)")
	fs.StringVar(&c.Project, "project", "", "dskd source folder (default: the one holding go.mod above the working directory)")
	fs.DurationVar(&c.Budget, "budget", gpucheck.DefaultBudget, "limit for the whole run; each phase gets at most what is left")
	fs.StringVar(&c.Python, "python", "", "Python with torch for the bench twin (default: python3, else /usr/bin/python3)")
	skip := fs.String("skip", "", "comma-separated phases not to run: test, train, bench")
	fs.StringVar(&c.TestRun, "test-run", "", "go test -run pattern (default: every test)")
	pkgs := fs.String("test-packages", "./...", "space-separated packages for go test")
	timeouts := fs.String("timeouts", "", "per-phase limits, e.g. setup=4m,test=3m (phases: host, setup, build, test, train, bench)")
	fs.IntVar(&c.Train.Epochs, "train-epochs", 0, "training epochs (default 8 on a GPU, 2 on the CPU)")
	fs.IntVar(&c.Train.Base, "train-base", 0, "U-Net base width (default 32 on a GPU, 8 on the CPU)")
	fs.IntVar(&c.Train.Crop, "train-crop", 0, "training crop side (default 256 on a GPU, 128 on the CPU)")
	batches := fs.String("train-batches", "", "comma-separated batch sizes, one training run each (default 4,16 on a GPU, 4 on the CPU)")
	presets := fs.String("train-presets", "", "comma-separated presets, one training run per preset and batch (default dskd; e.g. dskd,unet)")
	trainArgs := fs.String("train-args", "", "more `dskd train` flags, space-separated (e.g. \"--precision bf16\")")
	fs.StringVar(&c.Bench.Configs, "bench-configs", "", "bench/compare base:size:batch list (default 32:512:8,32:512:16 on a GPU, 8:128:2 on the CPU)")
	fs.StringVar(&c.Bench.Modes, "bench-modes", "", "bench/compare modes (default dskd,unet,infer)")
	fs.IntVar(&c.Bench.Reps, "bench-reps", 0, "fresh processes per implementation, interleaved (default 1)")
	fs.IntVar(&c.Bench.Steps, "bench-steps", 0, "timed steps per run (default 10 on a GPU, 2 on the CPU)")
	fs.IntVar(&c.Bench.Warmup, "bench-warmup", 0, "warm-up steps per run (default 3 on a GPU, 1 on the CPU)")
	fs.IntVar(&c.Bench.Threads, "bench-threads", 0, "libtorch threads for both sides (default 0: all cores)")
	benchArgs := fs.String("bench-args", "", "more bench/compare flags, space-separated")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.Skip = splitList(*skip, ",")
	c.Train.Presets = splitList(*presets, ",")
	c.TestPackages = strings.Fields(*pkgs)
	c.Train.Extra, c.Bench.Extra = strings.Fields(*trainArgs), strings.Fields(*benchArgs)
	for _, s := range splitList(*batches, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			return c, fmt.Errorf("--train-batches %q: %q is not a number", *batches, s)
		}
		c.Train.Batches = append(c.Train.Batches, n)
	}
	if *timeouts != "" {
		c.Timeouts = map[string]time.Duration{}
		for _, kv := range splitList(*timeouts, ",") {
			k, v, ok := strings.Cut(kv, "=")
			d, err := time.ParseDuration(v)
			if !ok || err != nil {
				return c, fmt.Errorf("--timeouts %q: want phase=duration, e.g. test=3m", kv)
			}
			c.Timeouts[k] = d
		}
	}
	return c, nil
}

func splitList(s, sep string) []string {
	var out []string
	for _, f := range strings.Split(s, sep) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
