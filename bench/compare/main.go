package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/angioseg/dskd/internal/mallocenv"
	"github.com/angioseg/dskd/metrics"
)

// Result mirrors bench/main.go's JSON.
type Result struct {
	Impl           string             `json:"impl"`
	Mode           string             `json:"mode"`
	Base           int                `json:"base"`
	Depth          int                `json:"depth"`
	Size           int                `json:"size"`
	Batch          int                `json:"batch"`
	Threads        int                `json:"threads"`
	Steps          int                `json:"steps"`
	MedianS        float64            `json:"median_s"`
	MinS           float64            `json:"min_s"`
	PerImageS      float64            `json:"per_image_s"`
	Phases         map[string]float64 `json:"phases"`
	PeakRSS        float64            `json:"peak_rss_mib"`
	RSSWarm        float64            `json:"rss_after_warmup_mib"`
	RSSEnd         float64            `json:"rss_end_mib"`
	DriftPct       float64            `json:"drift_pct"`
	BatchesPS      float64            `json:"batches_per_s"`
	TensorsPerStep float64            `json:"tensors_per_step"`
}

type config struct{ base, size, batch int }

func (c config) String() string {
	return fmt.Sprintf("base %d, %d², batch %d", c.base, c.size, c.batch)
}

func parseConfigs(s string) ([]config, error) {
	var out []config
	for _, part := range strings.Split(s, ",") {
		f := strings.Split(strings.TrimSpace(part), ":")
		if len(f) != 3 {
			return nil, fmt.Errorf("config %q: want base:size:batch", part)
		}
		var v [3]int
		for i := range f {
			n, err := strconv.Atoi(f[i])
			if err != nil || n < 1 {
				return nil, fmt.Errorf("config %q: %q is not a positive number", part, f[i])
			}
			v[i] = n
		}
		out = append(out, config{v[0], v[1], v[2]})
	}
	return out, nil
}

type opts struct {
	reps, threads, steps, warmup, depth int
	driftSteps                          int
	configs, modes, python, readme      string
	precision                           string
	device                              string
	drift, before, beforeLabel          string
	driftJSON                           string
	write                               bool
}

func main() {
	var o opts
	flag.IntVar(&o.reps, "reps", 3, "repetitions per implementation (fresh processes, interleaved)")
	flag.IntVar(&o.threads, "threads", 2, "libtorch intra-op threads for both")
	flag.IntVar(&o.steps, "steps", 10, "timed steps per run")
	flag.IntVar(&o.warmup, "warmup", 3, "warm-up steps per run")
	flag.IntVar(&o.depth, "depth", 4, "U-Net depth")
	flag.StringVar(&o.configs, "configs", "16:256:4,16:256:2,32:256:2,16:512:2", "comma-separated base:size:batch")
	flag.StringVar(&o.precision, "precision", "fp32", "fp32 or bf16 (autocast on both sides; the training and infer modes)")
	flag.StringVar(&o.modes, "modes", "dskd,unet,infer", "modes to compare")
	flag.StringVar(&o.drift, "drift", "16:128:2", "base:size:batch of the long RSS drift run ('' skips it)")
	flag.IntVar(&o.driftSteps, "drift-steps", 2000, "steps of the drift run (dskd mode)")
	flag.StringVar(&o.driftJSON, "drift-json", "", "gotch.json,pytorch.json: take the drift rows from these earlier --json outputs of bench and twin.py instead of running --drift")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with torch on the same libtorch")
	flag.StringVar(&o.device, "device", "cpu", "device of both sides: cpu, cuda or cuda:N")
	flag.StringVar(&o.readme, "readme", "bench/README.md", "README whose results section --write replaces")
	flag.BoolVar(&o.write, "write", false, "write the results into --readme")
	flag.StringVar(&o.before, "before", "", "a bench binary built from an older tree: compared with the current one on the first config (dskd and unet), interleaved")
	flag.StringVar(&o.beforeLabel, "before-label", "before", "what --before was built from, for the table")
	flag.Parse()
	if err := run(o, commandLine(os.Args)); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

// runner runs one implementation and parses its JSON.
type runner struct {
	name string
	cmd  func(args []string) *exec.Cmd
}

func (r runner) run(args []string) (*Result, error) {
	c := r.cmd(args)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		return nil, fmt.Errorf("%s %v: %w\n%s", r.name, args, err, errb.String())
	}
	var res Result
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		return nil, fmt.Errorf("%s %v: parsing %q: %w", r.name, args, out.String(), err)
	}
	return &res, nil
}

// agg summarises the repetitions of one implementation on one row.
type agg struct {
	median, min, perImage, peak, drift float64
	phases                             map[string]float64
	medians                            []float64
}

func summarise(rs []*Result) agg {
	var a agg
	var meds, mins, peaks, drifts, per []float64
	ph := map[string][]float64{}
	for _, r := range rs {
		meds = append(meds, r.MedianS)
		mins = append(mins, r.MinS)
		peaks = append(peaks, r.PeakRSS)
		drifts = append(drifts, r.DriftPct)
		per = append(per, r.PerImageS)
		for k, v := range r.Phases {
			ph[k] = append(ph[k], v)
		}
	}
	a.medians = meds
	a.median = metrics.Median(meds)
	a.min = mins[0]
	for _, m := range mins {
		a.min = min(a.min, m)
	}
	a.peak = metrics.Median(peaks)
	a.drift = metrics.Median(drifts)
	a.perImage = metrics.Median(per)
	a.phases = map[string]float64{}
	for k, v := range ph {
		a.phases[k] = metrics.Median(v)
	}
	return a
}

// row is one config and mode: gotch (dskd's defaults), PyTorch as users
// run it, and PyTorch with dskd's allocator settings.
type row struct {
	cfg                        config
	mode                       string
	go_, py, pyTuned, pyStrong agg
	timeRatio                  float64 // gotch / PyTorch
	tunedRatio                 float64 // gotch / PyTorch with the same allocator settings
	strongRatio                float64 // gotch / PyTorch as a strong user runs it (allocator settings and channels_last)
	rssRatio                   float64 // gotch / PyTorch peak RSS
}

// tunedMallocEnv gives PyTorch the allocator settings internal/aten
// applies to dskd at start-up.
var tunedMallocEnv = mallocenv.Env()

// commandLine is the command this process runs, for the report: its
// arguments as it got them (os.Args), each quoted where a POSIX shell
// needs it, so that pasting the line runs the same measurement. A binary
// that `go run` built in its temporary folder shows as `go run
// ./bench/compare`.
func commandLine(args []string) string {
	if len(args) == 0 {
		return ""
	}
	prog := shellQuote(args[0])
	// go run builds into a go-build folder: a temporary .../exe (older Go)
	// or an entry of the build cache ending in "-d" (Go 1.24 and later).
	if dir := filepath.ToSlash(filepath.Dir(args[0])); strings.Contains(dir, "/go-build") && (strings.HasSuffix(dir, "/exe") || strings.HasSuffix(dir, "-d")) {
		prog = "go run ./bench/compare"
	}
	q := []string{prog}
	for _, a := range args[1:] {
		q = append(q, shellQuote(a))
	}
	return strings.Join(q, " ")
}

// shellQuote quotes s for a POSIX shell: as is when it holds only
// characters no shell treats specially, else in single quotes.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// run measures; cmd is the command line that started it (commandLine).
func run(o opts, cmd string) error {
	cfgs, err := parseConfigs(o.configs)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "dskd-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "dskd-bench")
	build := exec.Command("go", "build", "-o", bin, "./bench")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building ./bench: %w", err)
	}
	goR := runner{"gotch", func(a []string) *exec.Cmd { return exec.Command(bin, a...) }}
	pyR := runner{"pytorch", func(a []string) *exec.Cmd {
		return exec.Command(o.python, append([]string{"bench/twin.py"}, a...)...)
	}}
	pyTunedR := runner{"pytorch+malloc", func(a []string) *exec.Cmd {
		c := exec.Command(o.python, append([]string{"bench/twin.py"}, a...)...)
		c.Env = append(os.Environ(), tunedMallocEnv...)
		return c
	}}
	pyStrongR := runner{"pytorch+malloc+cl", func(a []string) *exec.Cmd {
		c := exec.Command(o.python, append([]string{"bench/twin.py", "--channels-last"}, a...)...)
		c.Env = append(os.Environ(), tunedMallocEnv...)
		return c
	}}
	started := time.Now()
	var rows []row
	modes := strings.Split(o.modes, ",")
	for _, c := range cfgs {
		for _, mode := range modes {
			mode = strings.TrimSpace(mode)
			args := []string{"--json", "--mode", mode, "--base", strconv.Itoa(c.base), "--depth", strconv.Itoa(o.depth),
				"--size", strconv.Itoa(c.size), "--batch", strconv.Itoa(c.batch), "--threads", strconv.Itoa(o.threads),
				"--steps", strconv.Itoa(o.steps), "--warmup", strconv.Itoa(o.warmup)}
			args = append(args, deviceArgs(o)...)
			if o.precision != "fp32" {
				args = append(args, "--precision", o.precision)
			}
			got := map[string][]*Result{}
			impls := []runner{goR, pyR, pyTunedR, pyStrongR}
			for rep := 0; rep < o.reps; rep++ {
				// Rotate the order: each implementation runs first, second
				// and third equally often.
				for k := range impls {
					r := impls[(k+rep)%len(impls)]
					res, err := r.run(args)
					if err != nil {
						return err
					}
					got[r.name] = append(got[r.name], res)
					fmt.Fprintf(os.Stderr, "%-14s %-5s %s rep %d: median %.4f s, peak %.0f MiB\n", r.name, mode, c, rep, res.MedianS, res.PeakRSS)
				}
			}
			rw := row{cfg: c, mode: mode, go_: summarise(got[goR.name]), py: summarise(got[pyR.name]), pyTuned: summarise(got[pyTunedR.name]),
				pyStrong: summarise(got[pyStrongR.name])}
			rw.timeRatio = rw.go_.median / rw.py.median
			rw.tunedRatio = rw.go_.median / rw.pyTuned.median
			rw.strongRatio = rw.go_.median / rw.pyStrong.median
			rw.rssRatio = rw.go_.peak / rw.py.peak
			rows = append(rows, rw)
		}
	}

	// Data iterator throughput against the dskd step rate.
	var dataLines []string
	for _, c := range cfgs {
		var stepS float64
		for _, rw := range rows {
			if rw.cfg == c && rw.mode == "dskd" {
				stepS = rw.go_.median
			}
		}
		if stepS == 0 {
			continue
		}
		res, err := goR.run([]string{"--json", "--mode", "data", "--size", strconv.Itoa(c.size), "--batch", strconv.Itoa(c.batch),
			"--steps", "40", "--warmup", "4", "--data-images", "32"})
		if err != nil {
			return err
		}
		dataLines = append(dataLines, fmt.Sprintf("| %s | %.1f | %.2f | %.1f× |", c, res.BatchesPS, 1/stepS, res.BatchesPS*stepS))
	}

	// Before/after on the first config.
	var beforeLines []string
	if o.before != "" {
		bR := runner{"before", func(a []string) *exec.Cmd { return exec.Command(o.before, a...) }}
		c := cfgs[0]
		for _, mode := range []string{"dskd", "unet"} {
			args := []string{"--json", "--mode", mode, "--base", strconv.Itoa(c.base), "--depth", strconv.Itoa(o.depth),
				"--size", strconv.Itoa(c.size), "--batch", strconv.Itoa(c.batch), "--threads", strconv.Itoa(o.threads),
				"--steps", strconv.Itoa(o.steps), "--warmup", strconv.Itoa(o.warmup)}
			args = append(args, deviceArgs(o)...)
			var bs, as []*Result
			for rep := 0; rep < o.reps; rep++ {
				order := []runner{bR, goR}
				if rep%2 == 1 {
					order = []runner{goR, bR}
				}
				for _, r := range order {
					res, err := r.run(args)
					if err != nil {
						return err
					}
					if r.name == "before" {
						bs = append(bs, res)
					} else {
						as = append(as, res)
					}
					fmt.Fprintf(os.Stderr, "%-7s %-5s %s rep %d: median %.4f s, peak %.0f MiB\n", r.name, mode, c, rep, res.MedianS, res.PeakRSS)
				}
			}
			b, a := summarise(bs), summarise(as)
			beforeLines = append(beforeLines, fmt.Sprintf("| %s | %s | %.4f | %.4f | %.3f | %.0f | %.0f | %+.1f %% | %+.1f %% |",
				c, mode, b.median, a.median, a.median/b.median, b.peak, a.peak, b.drift, a.drift))
		}
	}

	// Long drift run.
	var driftLines []string
	driftLine := func(r string, res *Result) string {
		c := config{res.Base, res.Size, res.Batch}
		return fmt.Sprintf("| %s | %s | %d | %d | %.0f | %.0f | %+.2f %% | %.0f | %.4f |",
			r, c, res.Threads, res.Steps, res.RSSWarm, res.RSSEnd, res.DriftPct, res.PeakRSS, res.MedianS)
	}
	switch {
	case o.driftJSON != "":
		files := strings.Split(o.driftJSON, ",")
		for i, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				return err
			}
			var res Result
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			impl := res.Impl
			if impl == "" {
				impl = fmt.Sprint(i)
			}
			driftLines = append(driftLines, driftLine(impl, &res))
		}
	case o.drift != "":
		dc, err := parseConfigs(o.drift)
		if err != nil {
			return err
		}
		c := dc[0]
		args := []string{"--json", "--mode", "dskd", "--base", strconv.Itoa(c.base), "--depth", strconv.Itoa(o.depth),
			"--size", strconv.Itoa(c.size), "--batch", strconv.Itoa(c.batch), "--threads", strconv.Itoa(o.threads),
			"--steps", strconv.Itoa(o.driftSteps), "--warmup", "20"}
		args = append(args, deviceArgs(o)...)
		for _, r := range []runner{goR, pyR, pyTunedR} {
			res, err := r.run(args)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "%-7s drift %s %d steps: %.0f -> %.0f MiB (%+.2f %%)\n", r.name, c, o.driftSteps, res.RSSWarm, res.RSSEnd, res.DriftPct)
			driftLines = append(driftLines, driftLine(r.name, res))
		}
	}

	md := render(o, cmd, rows, dataLines, driftLines, beforeLines, time.Since(started))
	fmt.Print(md)
	if o.write {
		return writeReadme(o.readme, md)
	}
	return nil
}

// deviceArgs passes --device to both sides, unless it is the CPU (then a
// --before binary older than that flag still runs).
func deviceArgs(o opts) []string {
	if o.device == "cpu" {
		return nil
	}
	return []string{"--device", o.device}
}

func machine(device string) string {
	model := "unknown CPU"
	if out, err := exec.Command("lscpu").Output(); err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if rest, ok := strings.CutPrefix(l, "Model name:"); ok {
				model = strings.TrimSpace(rest)
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
		if len(f) >= 2 {
			kb, _ := strconv.ParseFloat(f[1], 64)
			mem = fmt.Sprintf(", %.0f GiB RAM", kb/1024/1024)
		}
	}
	gpu := ""
	if strings.HasPrefix(device, "cuda") {
		if out, err := exec.Command("nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader").Output(); err == nil {
			gpu = fmt.Sprintf(", GPU %s", strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; ")), " "))
		}
	}
	return fmt.Sprintf("%s, %d cores%s%s", model, runtime.NumCPU(), mem, gpu)
}

func versions(python string) string {
	tv := "?"
	if out, err := exec.Command(python, "-c", "import torch; print(torch.__version__)").Output(); err == nil {
		tv = strings.TrimSpace(string(out))
	}
	gv := "?"
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		gv = strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("PyTorch %s (same libtorch as gotch v0.9.1), %s", tv, gv)
}

// render is the results section; cmd, the command that measured it, is
// quoted in its first line.
func render(o opts, cmd string, rows []row, dataLines, driftLines, beforeLines []string, took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s on %s; %s. `%s` (took %s).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), machine(o.device), versions(o.python), cmd, took.Round(time.Second))
	fmt.Fprintf(&b, "Four implementations, interleaved in rotating order, fresh processes, %d threads each, precision %s (bf16: the forward passes under autocast, losses in float32, on both sides): **gotch** is dskd as it runs by default "+
		"(its allocator setting and channels-last U-Net on the CPU); **PyTorch** is the twin as users run it (glibc's default malloc, contiguous tensors); "+
		"**PyTorch+malloc** is the twin given dskd's allocator settings through the environment (%s); **PyTorch+malloc+CL** adds channels_last weights and input, as a strong PyTorch user runs it. "+
		"Step time: median over %d runs of each run's median of %d steps; min is the fastest single step seen. "+
		"Peak RSS: VmHWM of the whole process (median over runs). Drift: median RSS over the last tenth of the %d timed steps against the first tenth "+
		"(over so few steps it mostly shows the allocators settling; the long run below is the real test).\n\n", o.threads, o.precision, strings.Join(tunedMallocEnv, " "), o.reps, o.steps, o.steps)
	b.WriteString("| config | mode | gotch s/step | PyTorch s/step | PyTorch+malloc s/step | PyTorch+malloc+CL s/step | ratio vs PyTorch | ratio vs PyTorch+malloc | ratio vs PyTorch+malloc+CL | gotch min | PyTorch min | gotch peak MiB | PyTorch peak MiB | PyTorch+malloc peak MiB | RSS ratio | drift gotch | drift PyTorch |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		mode := r.mode
		gm, pm, tm, sm := r.go_.median, r.py.median, r.pyTuned.median, r.pyStrong.median
		gmin, pmin := r.go_.min, r.py.min
		if r.mode == "infer" {
			mode = "infer (s/image)"
			gm, pm, tm, sm = r.go_.perImage, r.py.perImage, r.pyTuned.perImage, r.pyStrong.perImage
			gmin, pmin = gmin/float64(r.cfg.batch), pmin/float64(r.cfg.batch)
		}
		fmt.Fprintf(&b, "| %s | %s | %.4f | %.4f | %.4f | %.4f | **%.3f** | **%.3f** | **%.3f** | %.4f | %.4f | %.0f | %.0f | %.0f | **%.3f** | %+.1f %% | %+.1f %% |\n",
			r.cfg, mode, gm, pm, tm, sm, r.timeRatio, r.tunedRatio, r.strongRatio, gmin, pmin, r.go_.peak, r.py.peak, r.pyTuned.peak, r.rssRatio, r.go_.drift, r.py.drift)
	}
	b.WriteString("\nPer-phase medians of the DSKD step (seconds; gotch / PyTorch):\n\n")
	phases := []string{"forward_teacher", "forward", "loss", "backward", "optimizer"}
	b.WriteString("| config | " + strings.Join(phases, " | ") + " |\n|---|" + strings.Repeat("---:|", len(phases)) + "\n")
	for _, r := range rows {
		if r.mode != "dskd" {
			continue
		}
		fmt.Fprintf(&b, "| %s |", r.cfg)
		for _, p := range phases {
			fmt.Fprintf(&b, " %.4f / %.4f |", r.go_.phases[p], r.py.phases[p])
		}
		b.WriteString("\n")
	}
	if len(dataLines) > 0 {
		b.WriteString("\nData iterator (`--mode data`: PNG decoding, DefaultAugment crop, z-score; 32 generated 512² images, all cores) against the gotch DSKD step rate of the same config:\n\n")
		b.WriteString("| config | iterator batches/s | step rate (steps/s) | headroom |\n|---|---:|---:|---:|\n")
		b.WriteString(strings.Join(dataLines, "\n") + "\n")
	}
	if len(beforeLines) > 0 {
		fmt.Fprintf(&b, "\nThis library before the changes of bench/README.md (%s) against now, gotch only, same flags, interleaved:\n\n", o.beforeLabel)
		b.WriteString("| config | mode | before s/step | now s/step | now/before | before peak MiB | now peak MiB | before drift | now drift |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
		b.WriteString(strings.Join(beforeLines, "\n") + "\n")
	}
	if len(driftLines) > 0 {
		b.WriteString("\nLong RSS drift run (DSKD step, a config smaller than the table's so that 2,000 steps fit on this machine; drift = median RSS of the last tenth of the steps against the first tenth):\n\n")
		b.WriteString("| impl | config | threads | steps | RSS after warm-up MiB | RSS at end MiB | drift | peak MiB | s/step |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
		b.WriteString(strings.Join(driftLines, "\n") + "\n")
	}
	return b.String()
}

const beginMark, endMark = "<!-- results:begin (written by go run ./bench/compare --write) -->", "<!-- results:end -->"

func writeReadme(path, md string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %q ... %q section", path, beginMark, endMark)
	}
	s = s[:i+len(beginMark)] + "\n" + md + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}
