package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/atomicfile"
	"github.com/angioseg/dskd/internal/cmdline"
	"github.com/angioseg/dskd/internal/runlock"
)

const usage = `usage:
  dskd train   --dataset xcad|dca1|folder --data DIR [training flags]
  dskd eval    --run RUN [--run RUN2...] --dataset xcad|dca1|folder --data DIR [--on test|all|run-test|run-val]
  dskd predict --run RUN|--weights FILE [more of either] --out DIR [--tta] [--threshold T] IMAGE...
  dskd study   --dir D [--dataset L --data DIR --presets P,Q --seeds S,T --set PATH=V,W ...]
  dskd report  --run RUN
  dskd gradnorms --run RUN [--group G] [--spans N]
  ` + ExportUsage + `
  ` + LaunchUsage + `
run "dskd SUBCOMMAND -h" for the flags of each`

func main() {
	// engine's start-up, step 1, before this program's threads multiply
	// (glibc gives each thread an arena at its first malloc): the
	// allocator setting, which the trainer's engine.Start then logs.
	engine.TuneAllocator()
	os.Exit(cmdline.Run("dskd", os.Args[1:], dispatch, os.Stderr))
}

func dispatch(args []string) error {
	if len(args) == 0 {
		return errors.New("no subcommand given\n" + usage)
	}
	switch args[0] {
	case "train":
		return train(args[1:])
	case "eval":
		return eval(args[1:])
	case "predict":
		return predict(args[1:])
	case "study":
		return Study(args[1:], os.Stdout)
	case "export":
		return Export(args[1:], os.Stdout)
	case "report":
		return Report(args[1:], os.Stdout)
	case "gradnorms":
		return GradNorms(args[1:], os.Stdout)
	case "launch":
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("launch: finding this program: %w", err)
		}
		return Launch(args[1:], self, os.Stdout, os.Stderr)
	case "-h", "-help", "--help", "help":
		fmt.Println(usage)
		return nil
	}
	return fmt.Errorf("unknown subcommand %q\n%s", args[0], usage)
}

// datasetFlags select and split a data set. A run folder records them
// (datasetFile), so that `train --resume` needs only --out.
type datasetFlags struct {
	Kind  string `json:"dataset"`
	Dir   string `json:"data"`
	Split string `json:"split"`
	Folds int    `json:"folds"`
	Fold  int    `json:"fold"`
	// ValCount is train's --val-count, which shapes the split too.
	ValCount int `json:"val_count,omitempty"`
	// UnlabelledData and UnlabelledIDs are train's frames without masks:
	// a folder of images, and training samples whose masks are set aside.
	UnlabelledData string `json:"unlabelled_data,omitempty"`
	UnlabelledIDs  string `json:"unlabelled_ids,omitempty"`
}

func (d *datasetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.Kind, "dataset", "", "xcad, dca1 or folder (images/ + masks/)")
	fs.StringVar(&d.Dir, "data", "", "the data set's folder")
	fs.StringVar(&d.Split, "split", "kfold", "xcad: kfold (seeded) or fixed (100/26)")
	fs.IntVar(&d.Folds, "folds", 5, "xcad: number of folds")
	fs.IntVar(&d.Fold, "fold", 0, "xcad: the test fold")
}

// registerUnlabelled adds train's flags for frames without masks.
func (d *datasetFlags) registerUnlabelled(fs *flag.FlagSet) {
	fs.StringVar(&d.UnlabelledData, "unlabelled-data", "", "a folder of frames without masks (every image under it) to learn from through the teacher")
	fs.StringVar(&d.UnlabelledIDs, "unlabelled-ids", "", "comma-separated training samples (DCA1: ids) whose masks are set aside: they become unlabelled frames")
}

// unlabelled reports whether the flags name frames without masks.
func (d *datasetFlags) unlabelled() bool { return d.UnlabelledData != "" || d.UnlabelledIDs != "" }

func (d *datasetFlags) open(seed int64) (data.Split, error) {
	split, err := d.openLabelled(seed)
	if err != nil {
		return split, err
	}
	if d.UnlabelledIDs != "" {
		if split, err = split.Unlabel(splitNonEmpty(d.UnlabelledIDs)...); err != nil {
			return split, fmt.Errorf("--unlabelled-ids: %w", err)
		}
	}
	if d.UnlabelledData != "" {
		frames, err := data.OpenImages(d.UnlabelledData)
		if err != nil {
			return split, fmt.Errorf("--unlabelled-data: %w", err)
		}
		split.Unlabelled = append(split.Unlabelled, frames...)
	}
	return split, nil
}

func (d *datasetFlags) openLabelled(seed int64) (data.Split, error) {
	if d.Dir == "" {
		return data.Split{}, errors.New("--data is required")
	}
	switch d.Kind {
	case "xcad":
		return XCADSplit(d.Dir, d.Split, d.Folds, d.Fold, seed)
	case "dca1":
		return DCA1Split(d.Dir, os.Stderr)
	case "folder":
		s, err := data.OpenFolder(d.Dir)
		return data.Split{Train: s}, err
	}
	return data.Split{}, fmt.Errorf("--dataset %q: want xcad, dca1 or folder", d.Kind)
}

// datasetFile records a run's data set flags in its run folder.
const datasetFile = "dataset.json"

// record is the flags as a run folder keeps them (with an absolute --data).
func (d datasetFlags) record() (map[string]any, error) {
	abs, err := filepath.Abs(d.Dir)
	if err != nil {
		return nil, err
	}
	d.Dir = abs
	if d.UnlabelledData != "" {
		if d.UnlabelledData, err = filepath.Abs(d.UnlabelledData); err != nil {
			return nil, err
		}
	}
	return map[string]any{datasetFile: d}, nil
}

// recall reads the flags a run folder recorded.
func recall(runDir string) (datasetFlags, error) {
	var d datasetFlags
	b, err := os.ReadFile(filepath.Join(runDir, datasetFile))
	if err != nil {
		return d, fmt.Errorf("--resume without --dataset: %w (give --dataset and --data again)", err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("%s: %w", filepath.Join(runDir, datasetFile), err)
	}
	return d, nil
}

func train(args []string) error {
	fs := flag.NewFlagSet("dskd train", flag.ContinueOnError)
	var ds datasetFlags
	ds.register(fs)
	ds.registerUnlabelled(fs)
	var tf TrainFlags
	tf.Register(fs, "runs/dskd")
	cmdline.Usage(fs, "usage: dskd train --dataset xcad|dca1|folder --data DIR [flags]")
	if err := cmdline.ParseNoArgs(fs, args); err != nil {
		return err
	}
	cfg, err := tf.Config(dskd.Config{})
	if err != nil {
		return err
	}
	if tf.Resume && ds.Kind == "" && ds.Dir == "" {
		if ds, err = recall(cfg.OutDir); err != nil {
			return err
		}
		if !tf.Set("val-count") {
			tf.ValCount = ds.ValCount
		}
	}
	ds.ValCount = tf.ValCount
	split, err := ds.open(cfg.Seed)
	if err != nil {
		return err
	}
	if ds.unlabelled() && cfg.Unlabelled == nil && !tf.Resume {
		// Frames named on the command line are meant to be learnt from; the
		// filled setting is written to config.json, so resume keeps it.
		cfg.Unlabelled = dskd.RecommendedUnlabelled()
		fmt.Fprintf(os.Stderr, "note: learning from %d unlabelled frames with the soft-Dice pixel term alone, the best setting measured (set others with \"unlabelled\" in --config; on DCA1 with 10 labels it is level with supervised training: docs/semi-supervised.md)\n", len(split.Unlabelled))
	}
	if tf.files, err = ds.record(); err != nil {
		return err
	}
	_, err = Train(cfg, &tf, split, os.Stdout)
	return err
}

func eval(args []string) error {
	fs := flag.NewFlagSet("dskd eval", flag.ContinueOnError)
	var ds datasetFlags
	ds.register(fs)
	var runs pathFlags
	fs.Var(&runs, "run", "run folder or checkpoint folder; repeat for an ensemble (the models' mean probability)")
	on := fs.String("on", "test", "which samples: test, all, or run-test / run-val: those the run's split.json lists (e.g. a study fold's held-out images), found in --data")
	tta := fs.Bool("tta", false, "flip test-time augmentation")
	turns := fs.Bool("tta-turns", false, "test-time augmentation over flips and 90° turns (8 passes; implies --tta)")
	threshold := fs.Float64("threshold", 0, "binarisation threshold (default: the run's; for an ensemble, the mean of the runs')")
	pick := fs.Bool("pick-threshold", false, "pick the threshold that maximises pooled Dice on the runs' own validation carve (their split.json), as `dskd study --ensembles` does for a seed ensemble")
	jsonOut := fs.String("json", "", "also write the metrics as JSON to this file")
	device := fs.String("device", "", "auto (default), cpu, cuda:N")
	precision := fs.String("precision", "", "fp32 (default), bf16 (CPU and CUDA) or fp16 (CUDA)")
	cmdline.Usage(fs, "usage: dskd eval --run RUN [--run RUN2 ...] --dataset xcad|dca1|folder --data DIR [flags]")
	if err := cmdline.ParseNoArgs(fs, args); err != nil {
		return err
	}
	if len(runs) == 0 {
		return errors.New("--run is required")
	}
	if *pick && (*threshold != 0 || *on == "run-val") {
		return errors.New("--pick-threshold picks on the runs' validation carve: not with --threshold or --on run-val")
	}
	e, err := OpenEnsemble(runs, nil, dskd.PredictOptions{InferOptions: dskd.InferOptions{TTA: *tta || *turns, Turns: *turns, Precision: dskd.Precision(*precision)}, Threshold: *threshold, Device: *device})
	if err != nil {
		return err
	}
	defer e.Close()
	split, err := ds.open(e.Members()[0].State.Config.Seed)
	if err != nil {
		return err
	}
	all := append(append(append([]data.Sample(nil), split.Train...), split.Val...), split.Test...)
	var samples []data.Sample
	switch *on {
	case "test":
		samples = split.Test
	case "all":
		samples = all
	case "run-test", "run-val":
		if samples, err = ensembleSplitSamples(e.Members(), strings.TrimPrefix(*on, "run-"), all); err != nil {
			return fmt.Errorf("--on %s: %w", *on, err)
		}
	case "val":
		return errors.New("--on val: use --on run-val (the run's own validation carve, from its split.json)")
	default:
		return fmt.Errorf("--on %q: want test, all, run-test or run-val", *on)
	}
	if len(samples) == 0 {
		return fmt.Errorf("no %s samples in %s", *on, ds.Dir)
	}
	if *pick {
		val, err := ensembleSplitSamples(e.Members(), "val", all)
		if err != nil {
			return fmt.Errorf("--pick-threshold: %w", err)
		}
		th, valDice, err := e.PickThreshold(val)
		if err != nil {
			return fmt.Errorf("--pick-threshold: %w", err)
		}
		fmt.Printf("threshold %.2f picked on the runs' %d validation images (pooled Dice %.4f)\n", th, len(val), valDice)
	}
	res, err := e.Evaluate(samples, true)
	if err != nil {
		return err
	}
	fmt.Printf("%s, %s:\n%s\n", *on, describeModels(e, runs), res.String())
	if *jsonOut != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		return atomicfile.WriteBytes(*jsonOut, append(b, '\n'))
	}
	return nil
}

func predict(args []string) error {
	fs := flag.NewFlagSet("dskd predict", flag.ContinueOnError)
	var runs, weights pathFlags
	fs.Var(&runs, "run", "run folder or checkpoint folder; repeat for an ensemble (the models' mean probability)")
	fs.Var(&weights, "weights", "or a weights file: .safetensors or .pt (dskd export, or PyTorch); repeatable, and may join --run models")
	out := fs.String("out", "predictions", "output folder")
	tta := fs.Bool("tta", false, "flip test-time augmentation")
	turns := fs.Bool("tta-turns", false, "test-time augmentation over flips and 90° turns (8 passes; implies --tta)")
	threshold := fs.Float64("threshold", 0, "binarisation threshold (default: the run's; for an ensemble, the mean of the models')")
	tile := fs.Int("tile", 0, "sliding-window tile side for large images (default 1024)")
	device := fs.String("device", "", "auto (default), cpu, cuda:N")
	precision := fs.String("precision", "", "fp32 (default), bf16 (CPU and CUDA) or fp16 (CUDA)")
	cmdline.Usage(fs, "usage: dskd predict --run RUN [flags] IMAGE...\nflags may also follow the images; arguments after -- are images")
	images, err := cmdline.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(images) == 0 {
		return errors.New("predict: no image given")
	}
	lock, err := runlock.Acquire(*out) // one writer per output folder
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	defer lock.Release()
	p, err := OpenEnsemble(runs, weights, dskd.PredictOptions{InferOptions: dskd.InferOptions{TTA: *tta || *turns, Turns: *turns, TileSize: *tile, Precision: dskd.Precision(*precision)}, Threshold: *threshold, Device: *device})
	if err != nil {
		return err
	}
	defer p.Close()
	for _, img := range images {
		o, err := p.PredictFile(img, *out)
		if err != nil {
			return err
		}
		fmt.Printf("%s -> %s, %s, %s\n", img, o.Probability, o.Mask, o.Overlay)
	}
	return nil
}
