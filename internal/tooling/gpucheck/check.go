package gpucheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// skippedOnRequest marks a phase that Config.Skip named; it does not make
// the check fail.
const skippedOnRequest = "skipped on request"

// check is one run: its configuration, report and clock.
type check struct {
	cfg      Config
	r        *Report
	deadline time.Time
	work     string // report folder's work/: binaries and training runs
	progress io.Writer
}

// Run checks the host as the package doc says and returns the report, also
// written to the report folder. An error means no check could start (bad
// configuration, no project, no folder); failed phases are in the report.
func Run(ctx context.Context, cfg Config, progress io.Writer) (*Report, error) {
	if _, err := cfg.withDefaults("cpu"); err != nil { // fail on bad options before any work
		return nil, err
	}
	if err := resolvePaths(&cfg); err != nil {
		return nil, err
	}
	start := time.Now()
	c := &check{cfg: cfg, deadline: start.Add(budgetOf(cfg)), work: filepath.Join(cfg.Out, "work"), progress: progress}
	if err := os.MkdirAll(filepath.Join(c.work, "bin"), 0o755); err != nil {
		return nil, fmt.Errorf("gpucheck: %w", err)
	}
	c.r = &Report{Folder: cfg.Out, Command: shellJoin(append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...)), Started: start.UTC(), BudgetSeconds: budgetOf(cfg).Seconds(),
		DeviceRequested: orDefault(cfg.Device, "auto")}
	if err := c.r.save(); err != nil {
		return nil, err
	}
	c.phase(ctx, "host", "host", "", c.host)
	setup := c.phase(ctx, "setup", "setup", "", c.setup)
	if err := c.resolveDevice(); err != nil {
		return nil, err
	}
	// Without the setup's gotch copy the build cannot succeed: on a lent
	// machine its minute is better kept.
	build := c.phase(ctx, "build", "build", missing(setup), c.build)
	needsBuild := missing(setup, build)
	c.phase(ctx, "test", "test", c.skipReason("test", needsBuild), c.test)
	for _, preset := range c.cfg.Train.Presets {
		for _, b := range c.cfg.Train.Batches {
			n := len(c.r.Training)
			ph := c.phase(ctx, trainName(preset, b), "train", c.skipReason("train", needsBuild), func(ctx context.Context, p *phaseRun) error {
				return c.train(ctx, p, preset, b)
			})
			if len(c.r.Training) > n { // known once the phase has ended
				c.r.Training[n].PeakGPUMiB = ph.PeakGPUMiB
			}
		}
	}
	c.phase(ctx, "bench", "bench", c.skipReason("bench", needsBuild), c.bench)
	c.r.OK = true
	for _, p := range c.r.Phases {
		if p.Status == StatusFailed || p.Status == StatusTimeout || (p.Status == StatusSkipped && p.Error != skippedOnRequest) {
			c.r.OK = false
		}
	}
	c.r.WallSeconds = time.Since(start).Seconds()
	return c.r, c.r.save()
}

func budgetOf(cfg Config) time.Duration {
	if cfg.Budget > 0 {
		return cfg.Budget
	}
	return DefaultBudget
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// resolvePaths makes Project, Data and Out absolute and checks them.
func resolvePaths(cfg *Config) error {
	if cfg.Project == "" {
		wd, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("gpucheck: %w", err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				cfg.Project = d
				break
			}
			if filepath.Dir(d) == d {
				return fmt.Errorf("gpucheck: no go.mod at or above %s; run from the dskd folder or pass --project", wd)
			}
		}
	}
	var err error
	if cfg.Project, err = filepath.Abs(cfg.Project); err != nil {
		return fmt.Errorf("gpucheck: %w", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Project, "cmd", "dskd-setup")); err != nil {
		return fmt.Errorf("gpucheck: project %s: not the dskd source (no cmd/dskd-setup)", cfg.Project)
	}
	if cfg.Data != "" {
		if cfg.Data, err = filepath.Abs(cfg.Data); err != nil {
			return fmt.Errorf("gpucheck: %w", err)
		}
		if fi, err := os.Stat(cfg.Data); err != nil || !fi.IsDir() {
			return fmt.Errorf("gpucheck: --data %s: not a folder", cfg.Data)
		}
	}
	if cfg.Out == "" {
		reports := cfg.Reports
		if reports == "" {
			reports = filepath.Join(cfg.Project, "runs")
		}
		cfg.Out = filepath.Join(reports, "gpu-check-"+time.Now().UTC().Format("20060102-150405"))
	}
	if cfg.Out, err = filepath.Abs(cfg.Out); err != nil {
		return fmt.Errorf("gpucheck: %w", err)
	}
	return nil
}

// missing says why a phase that needs the given ones cannot run ("" if
// they all succeeded), e.g. "needs the setup and the build, which did not
// finish".
func missing(needed ...*Phase) string {
	var names []string
	for _, p := range needed {
		if p.Status != StatusOK {
			names = append(names, "the "+p.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "needs " + strings.Join(names, " and ") + ", which did not finish"
}

func (c *check) skipReason(name, needs string) string {
	if contains(c.cfg.Skip, name) {
		return skippedOnRequest
	}
	return needs
}

// phase runs fn as the named phase with the timeout of key, capped by the
// budget, and records it; skip, if not empty, is why it does not run.
func (c *check) phase(ctx context.Context, name, key, skip string, fn func(context.Context, *phaseRun) error) *Phase {
	p := &Phase{Name: name, Status: StatusSkipped}
	c.r.Phases = append(c.r.Phases, p)
	defer func() {
		if err := c.r.save(); err != nil {
			fmt.Fprintf(c.progress, "gpu-check: %v\n", err)
		}
	}()
	left := time.Until(c.deadline)
	limit := min(c.timeout(key), left)
	switch {
	case skip != "":
		p.Error = skip
	case ctx.Err() != nil:
		p.Error = "interrupted"
	case left < 5*time.Second:
		p.Error = "the run's budget is spent"
	}
	if p.Error != "" {
		fmt.Fprintf(c.progress, "gpu-check: %-9s skipped: %s\n", name, p.Error)
		return p
	}
	p.TimeoutS = limit.Seconds()
	p.Log = name + ".log"
	logf, err := os.Create(filepath.Join(c.cfg.Out, p.Log))
	if err != nil {
		p.Status, p.Error = StatusFailed, err.Error()
		return p
	}
	defer logf.Close()
	fmt.Fprintf(c.progress, "gpu-check: %-9s running (limit %s)...\n", name, limit.Round(time.Second))
	pctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	stopGPU := sampleGPUMemory(gpuIndex(c.r.Device), 500*time.Millisecond)
	start := time.Now()
	err = fn(pctx, &phaseRun{Phase: p, dir: c.cfg.Project, env: env([]string{"GOWORK"}), log: logf})
	p.Seconds = time.Since(start).Seconds()
	p.PeakGPUMiB = stopGPU()
	switch {
	case err == nil:
		p.Status = StatusOK
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(pctx.Err(), context.DeadlineExceeded):
		p.Status, p.Error = StatusTimeout, fmt.Sprintf("stopped after %s: %v", limit.Round(time.Second), err)
	default:
		p.Status, p.Error = StatusFailed, err.Error()
	}
	fmt.Fprintf(logf, "# phase %s: %s in %.1f s %s\n", name, p.Status, p.Seconds, p.Error)
	fmt.Fprintf(c.progress, "gpu-check: %-9s %s in %.1f s %s\n", name, p.Status, p.Seconds, firstLine(p.Error))
	return p
}

func (c *check) timeout(key string) time.Duration {
	if t, ok := c.cfg.Timeouts[key]; ok && t > 0 {
		return t
	}
	return DefaultTimeouts[key]
}

func (c *check) bin(name string) string { return filepath.Join(c.work, "bin", name) }

func (c *check) host(ctx context.Context, p *phaseRun) error {
	c.r.Host = probeHost(ctx, c.cfg.Python)
	fmt.Fprintf(p.log, "%+v\n", c.r.Host)
	return ctx.Err()
}

// setup builds cmd/dskd-setup, prepares gotch for the host's libtorch and
// records what it found. It runs with GOWORK=off, as `make setup` does, so
// a stale go.work never stops it.
func (c *check) setup(ctx context.Context, p *phaseRun) error {
	p.env = append(p.env, "GOWORK=off")
	if err := p.run(ctx, nil, "go", "build", "-o", c.bin("dskd-setup"), "./cmd/dskd-setup"); err != nil {
		return err
	}
	runErr := p.run(ctx, nil, c.bin("dskd-setup"))
	var out bytes.Buffer
	if err := p.run(ctx, io.MultiWriter(&out, p.log), c.bin("dskd-setup"), "--print"); err == nil {
		c.r.Libtorch = out.String()
	}
	return runErr
}

// resolveDevice turns "auto" into cuda or cpu (CUDA needs a libtorch built
// with it and a GPU that nvidia-smi lists) and fills the device defaults.
func (c *check) resolveDevice() error {
	dev := strings.ToLower(orDefault(c.cfg.Device, "auto"))
	if dev == "auto" {
		dev = "cpu"
		if setupField(c.r.Libtorch, "device") == "CUDA" && len(c.r.Host.GPUs) > 0 {
			dev = "cuda"
		}
	}
	cfg, err := c.cfg.withDefaults(dev)
	if err != nil {
		return err
	}
	c.cfg, c.r.Device = cfg, dev
	if gpuIndex(dev) >= 0 {
		c.r.TestDevice = dev
	}
	return nil
}

// setupField reads "name: value" from dskd-setup --print.
func setupField(print, name string) string {
	for _, l := range strings.Split(print, "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// build compiles everything (gotch's C++ the first time) and the two
// programs the later phases run.
func (c *check) build(ctx context.Context, p *phaseRun) error {
	if err := p.run(ctx, nil, "go", "build", "./..."); err != nil {
		return err
	}
	return p.run(ctx, nil, "go", "build", "-o", c.bin("")+string(filepath.Separator), "./cmd/dskd", "./cmd/dskd-synth", "./bench/compare")
}

// test runs the suite; with a GPU device, DSKD_TEST_DEVICE names it so
// that the CUDA tests run.
func (c *check) test(ctx context.Context, p *phaseRun) error {
	if c.r.TestDevice != "" {
		p.env = append(p.env, "DSKD_TEST_DEVICE="+c.r.TestDevice)
		fmt.Fprintf(p.log, "DSKD_TEST_DEVICE=%s\n", c.r.TestDevice)
	}
	// go test's own timeout fires first, so a hung test dumps its goroutines.
	inner := time.Until(deadlineOf(ctx)) - 15*time.Second
	args := []string{"test", "-count=1", "-json", "-timeout", max(inner, 10*time.Second).Round(time.Second).String()}
	if c.cfg.TestRun != "" {
		args = append(args, "-run", c.cfg.TestRun)
	}
	args = append(args, c.cfg.TestPackages...)
	jsonPath := filepath.Join(c.cfg.Out, "test.json")
	f, err := os.Create(jsonPath)
	if err != nil {
		return err
	}
	runErr := p.run(ctx, f, "go", args...)
	f.Close()
	if f, err := os.Open(jsonPath); err == nil {
		s := ParseTestJSON(f)
		f.Close()
		c.r.Tests = &s
	}
	return runErr
}

func deadlineOf(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(time.Hour)
}

// trainName names a training phase, its run folder and metrics copy.
func trainName(preset string, batch int) string { return fmt.Sprintf("train-%s-b%d", preset, batch) }

// train runs `dskd train` once with the given preset and batch on the
// DCA1-layout folder (generated once when none is given) and reads its
// metrics.csv (copied into the report folder).
func (c *check) train(ctx context.Context, p *phaseRun, preset string, batch int) error {
	run := filepath.Join(c.work, trainName(preset, batch))
	dataDir := c.cfg.Data
	if dataDir == "" {
		dataDir = filepath.Join(c.work, "generated-dca1")
		if _, err := os.Stat(dataDir); err != nil {
			if err := p.run(ctx, nil, c.bin("dskd-synth"), "--layout", "dca1", "--n", "44", "--out", dataDir); err != nil {
				return err
			}
		}
	}
	runErr := p.run(ctx, nil, c.bin("dskd"), trainArgs(c.cfg, c.r.Device, run, dataDir, preset, batch)...)
	nan := Float(math.NaN())
	res := TrainResult{SecondsPerEpoch: nan, FirstEpochS: nan, BestValDice: nan, LastValDice: nan}
	b, err := os.ReadFile(filepath.Join(run, "metrics.csv"))
	if err == nil {
		var parsed TrainResult
		if parsed, err = ParseMetricsCSV(bytes.NewReader(b)); err == nil {
			res = parsed
			res.Metrics = trainName(preset, batch) + "-metrics.csv"
			err = os.WriteFile(filepath.Join(c.cfg.Out, res.Metrics), b, 0o644)
		}
	}
	res.Preset, res.Batch, res.RunDir = preset, batch, run
	c.r.Training = append(c.r.Training, res)
	if runErr != nil {
		return runErr
	}
	if err != nil {
		return fmt.Errorf("reading the run's metrics: %w", err)
	}
	return nil
}

// bench runs bench/compare against the PyTorch twin on the device.
func (c *check) bench(ctx context.Context, p *phaseRun) error {
	if c.r.Host.Python == "" {
		return fmt.Errorf("no Python that imports torch (tried %s); pass --python", strings.Join(c.r.Host.Notes, "; "))
	}
	b := c.cfg.Bench
	args := []string{"--device", c.r.Device, "--configs", b.Configs, "--modes", b.Modes, "--reps", strconv.Itoa(b.Reps),
		"--steps", strconv.Itoa(b.Steps), "--warmup", strconv.Itoa(b.Warmup), "--threads", strconv.Itoa(b.Threads),
		"--drift", "", "--python", c.r.Host.Python}
	args = append(args, b.Extra...)
	var table bytes.Buffer
	err := p.run(ctx, &table, c.bin("compare"), args...)
	c.r.Bench = &BenchResult{Command: "go run ./bench/compare " + shellJoin(args), Table: table.String()}
	if werr := os.WriteFile(filepath.Join(c.cfg.Out, "bench.md"), table.Bytes(), 0o644); werr != nil && err == nil {
		err = werr
	}
	return err
}

// shellJoin joins args for display, quoting the empty and those with spaces.
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " \t'\"") {
			q[i] = strconv.Quote(a)
		}
	}
	return strings.Join(q, " ")
}
