package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/angioseg/dskd/internal/tooling/bundle"
)

func main() {
	out := flag.String("out", "_dist/dskd-bundle", "bundle folder (replaced if it holds an earlier bundle)")
	maxMiB := flag.Int64("max-mib", bundle.DefaultMaxBytes>>20, "fail when the bundle is larger than this")
	noVerify := flag.Bool("no-verify", false, "skip the offline check (unpack, then load every package with the bundled toolchain)")
	flag.Parse()
	if err := run(*out, *maxMiB<<20, !*noVerify); err != nil {
		fmt.Fprintln(os.Stderr, "dskd-bundle:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "dskd-bundle: "+format+"\n", args...) }

func run(out string, maxBytes int64, verify bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	pl, err := bundle.MakePlan(ctx, bundle.Toolchain{}, wd)
	if err != nil {
		return err
	}
	if pl.Source, err = bundle.ProjectFiles(ctx, wd); err != nil {
		return err
	}
	logf("%s: %d packages; keeping %d toolchain, %d module-cache and %d project files; compressing (xz -9, a minute or two)",
		pl.Env.GOVERSION, len(pl.Packages), len(pl.Goroot), len(pl.Modcache), len(pl.Source))
	m, err := bundle.Write(ctx, pl, out, maxBytes)
	for _, a := range m.Archives {
		logf("  %-16s %6.2f MiB  %5d files", a.Name, float64(a.Bytes)/(1<<20), a.Files)
	}
	if err != nil {
		return err
	}
	if verify {
		logf("checking the bundle offline (unpack, load every package with the bundled go)")
		if err := bundle.Verify(ctx, out, pl); err != nil {
			return err
		}
	}
	logf("wrote %s: %.2f MiB in %s (commit %s)", out, float64(m.TotalBytes)/(1<<20), time.Since(start).Round(time.Second), m.Commit)
	logf("on the target host: %s/run gpu-check [--device cuda] [--data DIR]", out)
	return nil
}
