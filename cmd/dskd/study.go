package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/study"
)

// overrideFlags collects repeated --set flags.
type overrideFlags []study.Override

func (o *overrideFlags) String() string { return fmt.Sprint(len(*o), " overrides") }

func (o *overrideFlags) Set(s string) error {
	ov, err := study.ParseOverride(s)
	if err != nil {
		return err
	}
	*o = append(*o, ov)
	return nil
}

// reuseFlags collects --reuse folders: comma-separated, and the flag
// repeated adds to them (a second --reuse must not silently replace the first).
type reuseFlags []string

func (r *reuseFlags) String() string { return strings.Join(*r, ",") }

func (r *reuseFlags) Set(s string) error {
	*r = append(*r, splitNonEmpty(s)...)
	return nil
}

// armFlags collects repeated --arm flags.
type armFlags []study.Arm

func (a *armFlags) String() string { return fmt.Sprint(len(*a), " arms") }

func (a *armFlags) Set(s string) error {
	arm, err := study.ParseArm(s)
	if err != nil {
		return err
	}
	*a = append(*a, arm)
	return nil
}

// Study runs `dskd study`: it reads the spec saved in --dir (if any),
// replaces the fields given as flags, trains what is missing (resuming
// interrupted runs) and prints results.md to w. Ctrl-C stops the runs in
// progress at their next step; running the command again resumes.
func Study(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("dskd study", flag.ContinueOnError)
	dir := fs.String("dir", "", "study folder (required): study.json, results.csv, results.md, dice_by_arm.png, runs/")
	layout := fs.String("dataset", "", "data set layout: dca1 (ids 1-100 only), xcad (labelled images) or folder (images/ + masks/)")
	dataDir := fs.String("data", "", "the data set's folder")
	folds := fs.Int("folds", 0, "k of the k-fold cross-validation (default 5)")
	foldIDs := fs.String("fold-ids", "", "folds to train, comma-separated, 0-based (default all)")
	splitSeed := fs.Int64("split-seed", 0, "seed of the fold partition and the inner validation carve (default 42)")
	presets := fs.String("presets", "", "comma-separated presets: unet, deep-supervision, psdl, ddl, dskd (default: the --config preset, dskd without one)")
	seeds := fs.String("seeds", "", "comma-separated training seeds (default 42)")
	configPath := fs.String("config", "", "JSON file (dskd.Config): the base configuration of every run")
	var sets overrideFlags
	fs.Var(&sets, "set", "override PATH=V1,V2,... (dotted JSON path of dskd.Config, e.g. model.base=16,32); repeat to multiply; replaces the saved ones")
	var arms armFlags
	fs.Var(&arms, "arm", "a named arm beside the presets: 'NAME=PRESET;PATH=VALUE;...' (e.g. 'lead=dskd;teacher_bn=batch'); repeat for several; replaces the saved ones")
	baseline := fs.String("baseline", "", "arm or preset the others are compared with (default unet when in the grid)")
	bootstrap := fs.Int("bootstrap", 0, "bootstrap resamples of the paired intervals (default 10000)")
	ensembles := fs.Bool("ensembles", false, "also score each arm and fold's seed ensemble (the mean probability of its seeds' best models) on the held-out fold: ensembles.csv, results.md; needs two seeds or more")
	scoreLast := fs.Bool("score-last", false, "also score each finished run's last-epoch model on its held-out fold (threshold picked again on validation when the runs pick theirs): results.md pairs it with the kept model, per arm")
	crossData := fs.String("cross-data", "", "a second data set to score every finished run's best model on (all its labelled images)")
	crossLayout := fs.String("cross-layout", "", "layout of --cross-data: dca1, xcad or folder")
	jobs := fs.Int("jobs", 1, "runs trained at once")
	threads := fs.Int("threads", 0, "CPU threads shared by the jobs (default all cores)")
	reportOnly := fs.Bool("report", false, "train nothing: report the finished runs")
	var reuse reuseFlags
	fs.Var(&reuse, "reuse", "other study folders, comma-separated or the flag repeated: their finished runs with the same configuration hash (and samples) are taken instead of trained again")
	into := fs.String("into", "", "also put the tables into this Markdown page, between markers named after the study folder (replaced on every call)")
	brief := fs.Bool("brief", false, "with --into: one short table (pooled Dice, clDice, Sen, Pre, AUC and the paired Dice difference per arm) instead of the full tables, e.g. for a README")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("study: unexpected arguments %q", fs.Args())
	}
	if *dir == "" {
		return errors.New("study: --dir is required")
	}
	if *brief && *into == "" {
		return errors.New("study: --brief needs --into PAGE")
	}
	spec, err := study.LoadSpec(*dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	apply := []struct {
		flag string
		set  func() error
	}{
		{"dataset", func() error { spec.Layout = *layout; return nil }},
		{"data", func() error { spec.Data, err = filepath.Abs(*dataDir); return err }},
		{"folds", func() error { spec.Folds = *folds; return nil }},
		{"fold-ids", func() error { spec.FoldIDs, err = parseList(*foldIDs, strconv.Atoi); return err }},
		{"split-seed", func() error { spec.SplitSeed = *splitSeed; return nil }},
		{"presets", func() error {
			spec.Presets, err = parseList(*presets, func(s string) (string, error) { return s, nil })
			return err
		}},
		{"seeds", func() error { spec.Seeds, err = parseList(*seeds, parseInt64); return err }},
		{"config", func() error { spec.Config, err = dskd.LoadConfig(*configPath); return err }},
		{"set", func() error { spec.Sets = sets; return nil }},
		{"arm", func() error { spec.Arms = arms; return nil }},
		{"baseline", func() error { spec.Baseline = *baseline; return nil }},
		{"bootstrap", func() error { spec.Bootstrap = *bootstrap; return nil }},
		{"ensembles", func() error { spec.Ensembles = *ensembles; return nil }},
		{"score-last", func() error { spec.ScoreLast = *scoreLast; return nil }},
		{"cross-data", func() error { spec.CrossData, err = filepath.Abs(*crossData); return err }},
		{"cross-layout", func() error { spec.CrossLayout = *crossLayout; return nil }},
	}
	for _, a := range apply {
		if given[a.flag] {
			if err := a.set(); err != nil {
				return fmt.Errorf("study: --%s: %w", a.flag, err)
			}
		}
	}
	sig := stopOnSignal()
	defer sig.Stop()
	res, err := study.Run(sig.ctx, *dir, spec, study.Options{Jobs: *jobs, Threads: *threads, ReportOnly: *reportOnly, Reuse: reuse})
	if res == nil {
		return err
	}
	if werr := res.WriteMarkdown(w); werr != nil {
		return werr
	}
	if *into != "" {
		write := res.WriteInto
		if *brief {
			write = res.WriteBriefInto
		}
		if werr := write(*into); werr != nil {
			return werr
		}
		fmt.Fprintf(w, "tables written into %s\n", *into)
	}
	fmt.Fprintf(w, "\nstudy folder: %s\n", res.Dir)
	if err == nil && res.Stopped {
		line := fmt.Sprintf("study stopped; its runs keep checkpoints of where they stopped; continue with: dskd study --dir %s", *dir)
		if exit := sig.exitFor(line); exit != nil {
			return exit
		}
		err = fmt.Errorf("study: stopped before it finished: run `dskd study --dir %s` to resume", *dir)
	}
	return err
}

// splitNonEmpty splits a comma-separated list, dropping empty items.
func splitNonEmpty(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseInt64(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

// parseList parses a comma-separated list.
func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(s, ",") {
		v, err := parse(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
