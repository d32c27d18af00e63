package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/angioseg/dskd/internal/cmdline"
	"github.com/angioseg/dskd/internal/tooling/setup"
)

func main() {
	os.Exit(cmdline.Run("dskd-setup", os.Args[1:], parseAndRun, os.Stderr))
}

func parseAndRun(args []string) error {
	fs := flag.NewFlagSet("dskd-setup", flag.ContinueOnError)
	printOnly := fs.Bool("print", false, "report what was found, change nothing")
	install := fs.Bool("install", false, "install libtorch-dev (and libgloo-dev, for distributed training) with apt-get when missing (default when root on Debian/Ubuntu)")
	quiet := fs.Bool("quiet", false, "print nothing when nothing changed")
	cmdline.Usage(fs, "usage: dskd-setup [--print] [--install] [--quiet]\nprepares gotch for the installed libtorch and writes go.work")
	if err := cmdline.ParseNoArgs(fs, args); err != nil {
		return err
	}
	return run(*printOnly, *install, *quiet)
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "dskd-setup: "+format+"\n", args...) }

func run(printOnly, install, quiet bool) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := setup.ProjectRoot(wd)
	if err != nil {
		return err
	}
	env := setup.HostEnv()
	lt, err := setup.Discover(env)
	if errors.Is(err, setup.ErrNotFound) && !printOnly && setup.IsDebianLike("") && (install || os.Geteuid() == 0) {
		logf("no libtorch found; this is Debian/Ubuntu and we may install, so installing libtorch-dev")
		if err := setup.AptInstall(logf, "libtorch-dev"); err != nil {
			return err
		}
		lt, err = setup.Discover(env)
	}
	if err != nil {
		return err
	}
	if lt.Dist.NeedsGlooHeaders && !printOnly && setup.IsDebianLike("") && (install || os.Geteuid() == 0) {
		// Distributed training is optional: without Gloo's headers the
		// setup still succeeds and dskd says why it cannot train on
		// several processes.
		if err := setup.AptInstall(logf, setup.GlooPackage); err != nil {
			logf("warning: %v; distributed training stays unavailable", err)
		} else if lt2, err := setup.Discover(env); err == nil {
			lt = lt2
		}
	}
	base, err := setup.CacheBase()
	if err != nil {
		return err
	}
	if printOnly {
		return report(lt, base, root)
	}
	if _, err := exec.LookPath("g++"); err != nil {
		if setup.IsDebianLike("") && os.Geteuid() == 0 {
			if err := setup.AptInstall(logf, "g++"); err != nil {
				return err
			}
		} else {
			return errors.New("setup: g++ not found; install a C++ compiler (apt-get install g++)")
		}
	}
	src, err := setup.GotchSource(root)
	if err != nil {
		return err
	}
	dir, st, err := setup.PrepareGotch(lt, src, base, logf)
	if err != nil {
		return err
	}
	changed, err := setup.WriteGoWork(root, dir)
	if err != nil {
		return err
	}
	if err := setup.BuildGotch(root, logf); err != nil {
		return err
	}
	// Train's default is all cores; check that count once per libtorch.
	threads := runtime.NumCPU()
	tc, ran, err := setup.SelfCheck(dir, threads, func(n int) ([]byte, error) { return setup.RunSelfCheckProgram(root, n, logf) })
	if err != nil {
		return err
	}
	switch {
	case tc.Error != "":
		return fmt.Errorf("setup: %s (a wrong libtorch cannot train; recorded in %s/selfcheck.json)", tc.Error, dir)
	case tc.Warning != "" && (ran || !quiet):
		logf("warning: %s", tc.Warning)
	case ran:
		logf("%s", tc.Describe())
	}
	if changed || !quiet {
		for _, n := range lt.Notes {
			logf("note: %s", n)
		}
		logf("%s", lt)
		logf("distributed training: %s", st.Libtorch.Dist.Describe())
		logf("gotch %s copy: %s (%d generated wrappers replaced)", setup.GotchVersion, dir, st.ReplacedOps)
		if changed {
			logf("wrote %s/go.work", root)
		}
	}
	return nil
}

func report(lt setup.Libtorch, base, root string) error {
	dir := setup.CopyDir(base, lt)
	fmt.Printf("libtorch:      %s\n", lt.Root)
	fmt.Printf("source:        %s\n", lt.Source)
	fmt.Printf("version:       %s (headers: %s)\n", lt.DisplayVersion(), lt.Version)
	fmt.Printf("device:        %s\n", map[bool]string{true: "CUDA", false: "CPU"}[lt.CUDA])
	fmt.Printf("c++11 abi:     %v\n", lt.CXX11ABI)
	fmt.Printf("lib dir:       %s\n", lt.LibDir)
	for _, d := range lt.ExtraLibDirs {
		fmt.Printf("also links:    %s\n", d)
	}
	fmt.Printf("link flags:    %s\n", strings.Join(setup.CgoFlags(lt).LDFlags, " "))
	d := lt.Dist
	if st, err := setup.ReadStamp(setup.CopyDir(base, lt)); err == nil && st.Key == setup.Identity(lt) {
		d = st.Libtorch.Dist // what the shim was compiled with
	}
	fmt.Printf("distributed:   %s\n", d.Describe())
	for _, n := range lt.Notes {
		fmt.Printf("note:          %s\n", n)
	}
	st, err := setup.ReadStamp(dir)
	switch {
	case err != nil:
		fmt.Printf("gotch copy:    %s (not prepared yet: run go run ./cmd/dskd-setup)\n", dir)
	case st.Key != setup.Identity(lt):
		fmt.Printf("gotch copy:    %s (stale: run go run ./cmd/dskd-setup)\n", dir)
	default:
		fmt.Printf("gotch copy:    %s\n", dir)
		fmt.Printf("replaced ops:  %d (list: %s/replaced-ops.txt)\n", st.ReplacedOps, dir)
		for _, tc := range setup.RecordedSelfChecks(dir) {
			switch {
			case tc.Error != "":
				fmt.Printf("self-check:    %d threads: %s\n", tc.Requested, tc.Error)
			case tc.Warning != "":
				fmt.Printf("self-check:    %d threads: %s\n", tc.Requested, tc.Warning)
			default:
				fmt.Printf("self-check:    %d threads: %s\n", tc.Requested, tc.Describe())
			}
		}
	}
	if _, err := os.Stat(root + "/go.work"); err == nil {
		fmt.Printf("go.work:       %s/go.work\n", root)
	} else {
		fmt.Printf("go.work:       missing\n")
	}
	return nil
}
