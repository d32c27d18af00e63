package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/data/synth"
	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/metrics"
	"github.com/angioseg/dskd/models"
)

// Result is the JSON both this program and twin.py print.
type Result struct {
	Impl      string             `json:"impl"`
	Device    string             `json:"device,omitempty"`
	Mode      string             `json:"mode"`
	Base      int                `json:"base"`
	Depth     int                `json:"depth"`
	Size      int                `json:"size"`
	Batch     int                `json:"batch"`
	Threads   int                `json:"threads"`
	Steps     int                `json:"steps"`
	Warmup    int                `json:"warmup"`
	Optim     string             `json:"optim,omitempty"`
	MedianS   float64            `json:"median_s"`
	MinS      float64            `json:"min_s"`
	MeanS     float64            `json:"mean_s"`
	PerImageS float64            `json:"per_image_s,omitempty"`
	Phases    map[string]float64 `json:"phases,omitempty"` // median seconds per phase
	PeakRSS   float64            `json:"peak_rss_mib"`
	RSSWarm   float64            `json:"rss_after_warmup_mib"`
	RSSEnd    float64            `json:"rss_end_mib"`
	DriftPct  float64            `json:"drift_pct"`
	BatchesPS float64            `json:"batches_per_s,omitempty"`
	Loss      float64            `json:"loss,omitempty"`
	Params    int64              `json:"params,omitempty"` // trainable scalars of the U-Net
	// TensorsPerStep counts tensor handles created per timed step (gotch
	// side only: each libtorch op returns at least one).
	TensorsPerStep float64 `json:"tensors_per_step,omitempty"`
	// LeakedPerStep is the growth of live handles per timed step (0 when
	// every step frees what it creates).
	LeakedPerStep float64 `json:"leaked_per_step,omitempty"`
	// Malloc is the allocator setting in effect (gotch side: "tuned" or
	// "system", see DSKD_MALLOC).
	Malloc string `json:"malloc,omitempty"`
	// ChannelsLast: the model ran in channels-last memory.
	ChannelsLast bool `json:"channels_last,omitempty"`
	// Precision of the forward passes: fp32, or bf16 under autocast.
	Precision string `json:"precision,omitempty"`
}

type flags struct {
	base, depth, size, batch, threads, steps, warmup int
	mode, cpuprofile, memprofile, memoryFormat       string
	precision                                        string
	device                                           string
	jsonOut                                          bool
	seed                                             int64
	dataImage, dataImages                            int
	rssEvery                                         int
}

func main() {
	// Before anything else, as cmd/dskd does: the allocator setting
	// (reported by engine.Start in runModel).
	engine.TuneAllocator()
	var f flags
	flag.IntVar(&f.base, "base", 16, "U-Net base width")
	flag.IntVar(&f.depth, "depth", 4, "U-Net depth")
	flag.IntVar(&f.size, "size", 256, "image side (square)")
	flag.IntVar(&f.batch, "batch", 4, "batch size")
	flag.IntVar(&f.threads, "threads", 2, "libtorch intra-op threads (0 = all cores)")
	flag.StringVar(&f.device, "device", "cpu", "cpu, cuda or cuda:N (on CUDA each step ends with a synchronize; phase times stay launch times)")
	flag.IntVar(&f.steps, "steps", 20, "timed steps")
	flag.IntVar(&f.warmup, "warmup", 3, "untimed steps first")
	flag.StringVar(&f.mode, "mode", "dskd", "dskd | unet | infer | data")
	flag.StringVar(&f.memoryFormat, "memory-format", "", "U-Net memory format: auto (default: channels-last on CPU), channels-last or contiguous")
	flag.StringVar(&f.precision, "precision", "fp32", "fp32 or bf16: the forward passes under autocast (dskd's --precision)")
	flag.BoolVar(&f.jsonOut, "json", false, "print one JSON object")
	flag.Int64Var(&f.seed, "seed", 1, "seed")
	flag.StringVar(&f.cpuprofile, "cpuprofile", "", "write a Go CPU profile of the timed steps")
	flag.StringVar(&f.memprofile, "memprofile", "", "write a Go heap profile at the end")
	flag.IntVar(&f.dataImage, "data-image", 512, "--mode data: side of the generated images (cropped to --size)")
	flag.IntVar(&f.dataImages, "data-images", 16, "--mode data: number of generated images")
	flag.IntVar(&f.rssEvery, "rss-every", 0, "print the step number, RSS and gotch tensor count to stderr every N timed steps (0: never)")
	flag.Parse()
	res, err := run(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if f.jsonOut {
		b, _ := json.Marshal(res)
		fmt.Println(string(b))
		return
	}
	printText(res)
}

func printText(r *Result) {
	fmt.Printf("%s %s base %d depth %d size %d batch %d threads %d: median %.4f s  min %.4f s  mean %.4f s (%d steps, %d warmup)\n",
		r.Impl, r.Mode, r.Base, r.Depth, r.Size, r.Batch, r.Threads, r.MedianS, r.MinS, r.MeanS, r.Steps, r.Warmup)
	if r.PerImageS > 0 {
		fmt.Printf("  per image %.4f s\n", r.PerImageS)
	}
	if r.BatchesPS > 0 {
		fmt.Printf("  %.2f batches/s\n", r.BatchesPS)
	}
	if len(r.Phases) > 0 {
		keys := make([]string, 0, len(r.Phases))
		for k := range r.Phases {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Printf("  %-16s %.4f s\n", k, r.Phases[k])
		}
	}
	if r.TensorsPerStep > 0 {
		fmt.Printf("  %.0f tensor handles created per step, %.2f left alive per step\n", r.TensorsPerStep, r.LeakedPerStep)
	}
	if r.Malloc != "" {
		fmt.Printf("  malloc %s, channels-last %v\n", r.Malloc, r.ChannelsLast)
	}
	fmt.Printf("  peak RSS %.0f MiB, RSS after warmup %.0f MiB, at end %.0f MiB, drift %+.2f %%\n",
		r.PeakRSS, r.RSSWarm, r.RSSEnd, r.DriftPct)
}

// procStatus reads a kB field of /proc/self/status in MiB.
func procStatus(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			fs := strings.Fields(rest)
			if len(fs) > 0 {
				v, _ := strconv.ParseFloat(fs[0], 64)
				return v / 1024
			}
		}
	}
	return 0
}

// drift is the RSS growth over the timed steps in percent: the median RSS
// of the last tenth of the steps against that of the first tenth (at least
// one step each), so that the saw-tooth of a garbage collector or allocator
// does not decide it; rss holds one sample per step.
func drift(rss []float64) float64 {
	if len(rss) == 0 {
		return 0
	}
	k := max(1, len(rss)/10)
	first, last := metrics.Median(rss[:k]), metrics.Median(rss[len(rss)-k:])
	if first == 0 {
		return 0
	}
	return 100 * (last - first) / first
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func meanOf(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func run(f flags) (*Result, error) {
	if f.steps < 1 || f.warmup < 0 {
		return nil, fmt.Errorf("--steps %d must be >= 1 and --warmup %d >= 0", f.steps, f.warmup)
	}
	if f.precision != "fp32" && f.precision != "bf16" {
		return nil, fmt.Errorf("--precision %q: want fp32 or bf16", f.precision)
	}
	res := &Result{Impl: "gotch", Mode: f.mode, Base: f.base, Depth: f.depth, Size: f.size, Batch: f.batch,
		Steps: f.steps, Warmup: f.warmup, Precision: f.precision}
	if f.mode == "data" {
		return res, runData(f, res)
	}
	if f.mode != "dskd" && f.mode != "unet" && f.mode != "infer" {
		return nil, fmt.Errorf("--mode %q: want dskd, unet, infer or data", f.mode)
	}
	if f.mode != "infer" {
		res.Optim = "go"
	}
	err := engine.Run(func() error { return runModel(f, res) })
	return res, err
}

// stepper is one timed unit of work; phases accumulates named durations.
type stepper func(phases map[string]float64) error

func runModel(f flags, res *Result) error {
	start, err := engine.Start(f.threads)
	if err != nil {
		return err
	}
	for _, line := range start.Lines() {
		fmt.Fprintln(os.Stderr, "bench:", line)
	}
	if start.Threads.Warning != "" {
		fmt.Fprintln(os.Stderr, "bench:", start.Threads.Warning)
	}
	res.Malloc = start.Allocator.Policy
	dev, err := engine.ParseDevice(f.device)
	if err != nil {
		return err
	}
	res.Device = engine.DeviceName(dev)
	var step stepper
	if f.mode == "infer" {
		step, err = inferStep(f, res, dev)
	} else {
		step, err = trainingStep(f, res)
	}
	if err != nil {
		return err
	}
	res.Threads = engine.Threads()
	if dev.IsCuda() { // CUDA runs asynchronously: a step is done when its kernels are
		launch := step
		step = func(ph map[string]float64) error {
			if err := launch(ph); err != nil {
				return err
			}
			aten.Synchronize(int(dev.Value))
			return nil
		}
	}

	for i := 0; i < f.warmup; i++ {
		if err := step(map[string]float64{}); err != nil {
			return fmt.Errorf("warmup step %d: %w", i, err)
		}
	}
	res.RSSWarm = procStatus("VmRSS")
	if f.cpuprofile != "" {
		pf, err := os.Create(f.cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); pf.Close() }()
	}
	created0, live0 := aten.Created(), aten.Live()
	times := make([]float64, 0, f.steps)
	rss := make([]float64, 0, f.steps)
	phaseRuns := map[string][]float64{}
	for i := 0; i < f.steps; i++ {
		ph := map[string]float64{}
		t0 := time.Now()
		if err := step(ph); err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
		times = append(times, time.Since(t0).Seconds())
		rss = append(rss, procStatus("VmRSS"))
		if f.rssEvery > 0 && (i+1)%f.rssEvery == 0 {
			fmt.Fprintf(os.Stderr, "step %d rss %.1f MiB tensors %d live %d\n", i+1, procStatus("VmRSS"), aten.Created(), aten.Live())
		}
		for k, v := range ph {
			phaseRuns[k] = append(phaseRuns[k], v)
		}
	}
	res.TensorsPerStep = float64(aten.Created()-created0) / float64(f.steps)
	res.LeakedPerStep = float64(aten.Live()-live0) / float64(f.steps)
	res.RSSEnd = procStatus("VmRSS")
	res.PeakRSS = procStatus("VmHWM")
	res.DriftPct = drift(rss)
	res.MedianS, res.MinS, res.MeanS = metrics.Median(times), minOf(times), meanOf(times)
	if f.mode == "infer" {
		res.PerImageS = res.MedianS / float64(f.batch)
	}
	if len(phaseRuns) > 0 {
		res.Phases = map[string]float64{}
		for k, v := range phaseRuns {
			res.Phases[k] = metrics.Median(v)
		}
	}
	if f.memprofile != "" {
		mf, err := os.Create(f.memprofile)
		if err != nil {
			return err
		}
		runtime.GC()
		err = pprof.WriteHeapProfile(mf)
		mf.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// inferStep is a forward pass of a fresh U-Net on a random batch.
func inferStep(f flags, res *Result, dev gotch.Device) (stepper, error) {
	engine.ManualSeed(f.seed) // the threads are Start's
	student, err := models.New(models.UNetConfig{Depth: f.depth, Base: f.base, MemoryFormat: models.MemoryFormat(f.memoryFormat)}, dev)
	if err != nil {
		return nil, err
	}
	res.Params, res.ChannelsLast = student.NumParameters(), student.ChannelsLast()
	s := aten.NewScope() // holds x for the program's lifetime
	x := s.Randn([]int64{int64(f.batch), 1, int64(f.size), int64(f.size)}, gotch.Float, dev)
	if err := s.Err(); err != nil {
		return nil, err
	}
	forward := func() error {
		out, err := student.Forward(x, false)
		if err != nil {
			return err
		}
		p, err := out.MainProbs()
		out.Free()
		p.Free()
		return err
	}
	if f.precision == "bf16" {
		fp32 := forward
		forward = func() error { return aten.Autocast(dev, gotch.BFloat16, fp32) }
	}
	return func(map[string]float64) error { return engine.NoGrad(forward) }, nil
}

// trainingStep is the trainer's own step (dskd.Stepper) on a fixed random
// batch, at epoch 5 of 10 (α_t = 0.25 and λ_DDL = 0.5: every DSKD term is
// live), with the teacher's snapshot taken at the start.
func trainingStep(f flags, res *Result) (stepper, error) {
	cfg := dskd.Config{Epochs: 10, BatchSize: f.batch, LR: 1e-3, Device: f.device, Threads: f.threads, Seed: f.seed,
		Precision: dskd.Precision(f.precision)}
	cfg.Model = models.UNetConfig{Depth: f.depth, Base: f.base, MemoryFormat: models.MemoryFormat(f.memoryFormat)}
	cfg.Schedule.Name = "constant"
	cfg.Loss.Preset = losses.PresetDSKD
	if f.mode == "unet" {
		cfg.Loss.Preset = losses.PresetUNet
	}
	st, err := dskd.NewStepper(cfg)
	if err != nil {
		return nil, err
	}
	res.Params, res.ChannelsLast = st.Student().NumParameters(), st.Student().ChannelsLast()
	const epoch = 5
	if err := st.BeginEpoch(epoch); err != nil {
		return nil, err
	}
	b := randomBatch(f.batch, f.size, f.seed)
	return func(ph map[string]float64) error {
		st.TimePhases(ph)
		bd, err := st.Step(b, epoch, 0)
		res.Loss = bd.Total
		return err
	}, nil
}

// randomBatch is a batch of standard-normal images with ~10 % foreground
// masks.
func randomBatch(n, size int, seed int64) *data.Batch {
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	b := &data.Batch{N: n, H: size, W: size, Images: make([]float32, n*size*size), Masks: make([]float32, n*size*size)}
	for i := range b.Images {
		b.Images[i] = float32(rng.NormFloat64())
		if rng.Float64() < 0.1 {
			b.Masks[i] = 1
		}
	}
	return b
}

// runData measures the data iterator: decoding + DefaultAugment(size) +
// z-score on generated PNGs, batches of --batch, over repeated epochs.
func runData(f flags, res *Result) error {
	res.Threads = runtime.GOMAXPROCS(0)
	if f.dataImage < f.size {
		f.dataImage = f.size
	}
	dir, err := os.MkdirTemp("", "dskd-bench-data-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := synth.WriteGeneric(dir, f.dataImages, f.dataImage, f.seed); err != nil {
		return err
	}
	samples, err := data.OpenFolder(dir)
	if err != nil {
		return err
	}
	cfg := data.IteratorConfig{BatchSize: f.batch, Shuffle: true, DropLast: true, Seed: f.seed,
		Augment: data.DefaultAugment(f.size), Normalize: data.NormZScore}
	var times []float64
	total := f.warmup + f.steps
	n := 0
	start := time.Now()
	last := start
	for epoch := 0; n < total; epoch++ {
		it, err := data.NewIterator(samples, cfg, epoch)
		if err != nil {
			return err
		}
		for n < total && it.Next() {
			now := time.Now()
			if n >= f.warmup {
				times = append(times, now.Sub(last).Seconds())
			} else {
				res.RSSWarm = procStatus("VmRSS")
			}
			last = now
			n++
		}
		if err := it.Err(); err != nil {
			it.Close()
			return err
		}
		it.Close()
	}
	res.RSSEnd = procStatus("VmRSS")
	res.PeakRSS = procStatus("VmHWM")
	if res.RSSWarm > 0 {
		res.DriftPct = 100 * (res.RSSEnd - res.RSSWarm) / res.RSSWarm
	}
	res.MedianS, res.MinS, res.MeanS = metrics.Median(times), minOf(times), meanOf(times)
	res.BatchesPS = float64(len(times)) / sumOf(times)
	return nil
}

func sumOf(v []float64) float64 { return meanOf(v) * float64(len(v)) }
