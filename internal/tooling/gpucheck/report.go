package gpucheck

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Report is report.json.
type Report struct {
	Folder          string        `json:"folder"`
	Command         string        `json:"command"`
	Started         time.Time     `json:"started"`
	WallSeconds     float64       `json:"wall_s"`
	BudgetSeconds   float64       `json:"budget_s"`
	DeviceRequested string        `json:"device_requested"`
	Device          string        `json:"device"`                // what the phases ran on
	TestDevice      string        `json:"test_device,omitempty"` // DSKD_TEST_DEVICE given to go test
	OK              bool          `json:"ok"`                    // every phase ok or skipped on request
	Host            Host          `json:"host"`
	Libtorch        string        `json:"libtorch,omitempty"` // dskd-setup --print
	Phases          []*Phase      `json:"phases"`
	Tests           *TestSummary  `json:"tests,omitempty"`
	Training        []TrainResult `json:"training,omitempty"`
	Bench           *BenchResult  `json:"bench,omitempty"`
}

// BenchResult is bench/compare's output.
type BenchResult struct {
	Command string `json:"command"`
	Table   string `json:"table"` // compare's markdown (also bench.md)
}

// save writes report.json and report.md into the report folder.
func (r *Report) save() error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("gpucheck: report.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(r.Folder, "report.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("gpucheck: %w", err)
	}
	if err := os.WriteFile(filepath.Join(r.Folder, "report.md"), []byte(r.Markdown()), 0o644); err != nil {
		return fmt.Errorf("gpucheck: %w", err)
	}
	return nil
}

// Markdown renders the report for people.
func (r *Report) Markdown() string {
	var b strings.Builder
	verdict := "PASSED"
	if !r.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "# dskd gpu-check: %s on %s\n\n", verdict, orDash(r.Device))
	fmt.Fprintf(&b, "Started %s, %.0f s of a %.0f s budget. Command: `%s`. Folder: `%s`.\n\n",
		r.Started.Format("2006-01-02 15:04 MST"), r.WallSeconds, r.BudgetSeconds, r.Command, r.Folder)
	h := r.Host
	b.WriteString("## Host\n\n")
	fmt.Fprintf(&b, "- %s: %s, kernel %s\n- CPU: %s, %d cores, %.1f GiB RAM\n- Go: %s\n", orDash(h.Hostname), orDash(h.OS), orDash(h.Kernel), orDash(h.CPU), h.Cores, h.MemGiB, orDash(h.Go))
	for _, g := range h.GPUs {
		fmt.Fprintf(&b, "- GPU: %s\n", g)
	}
	fmt.Fprintf(&b, "- Python torch (bench twin): %s %s\n", orDash(h.Python), h.Torch)
	for _, n := range h.Notes {
		fmt.Fprintf(&b, "- note: %s\n", n)
	}
	if r.Libtorch != "" {
		fmt.Fprintf(&b, "\nlibtorch (`dskd-setup --print`):\n\n```\n%s```\n", r.Libtorch)
	}
	b.WriteString("\n## Phases\n\n| phase | status | seconds | timeout s | peak GPU MiB | log | error |\n|---|---|---:|---:|---:|---|---|\n")
	for _, p := range r.Phases {
		fmt.Fprintf(&b, "| %s | %s | %.1f | %.0f | %s | %s | %s |\n", p.Name, p.Status, p.Seconds, p.TimeoutS, mibCell(p.PeakGPUMiB), orDash(p.Log), cell(p.Error))
	}
	if t := r.Tests; t != nil {
		fmt.Fprintf(&b, "\n## Tests\n\n%d passed, %d failed, %d skipped (top-level tests) in %d packages", t.Passed, t.Failed, t.Skipped, len(t.Packages))
		if r.TestDevice != "" {
			fmt.Fprintf(&b, "; DSKD_TEST_DEVICE=%s", r.TestDevice)
		}
		b.WriteString(".\n")
		if len(t.DeviceTests) > 0 {
			b.WriteString("\nDevice tests (the name mentions CUDA or GPU):\n\n| package | test | status | seconds |\n|---|---|---|---:|\n")
			for _, d := range t.DeviceTests {
				fmt.Fprintf(&b, "| %s | %s | %s | %.2f |\n", d.Package, d.Test, d.Status, d.Seconds)
			}
		}
		for _, f := range t.Failures {
			fmt.Fprintf(&b, "\n**FAIL %s %s**\n\n```\n%s\n```\n", f.Package, f.Test, strings.TrimRight(f.Output, "\n"))
		}
	}
	if len(r.Training) > 0 {
		b.WriteString("\n## Training (dskd train, DCA1 layout)\n\n| preset | batch | epochs | s/epoch | first epoch s | best val Dice | last val Dice | peak GPU MiB | metrics |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
		for _, t := range r.Training {
			fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s | %s | %s | %s |\n", t.Preset, t.Batch, t.Epochs, num(t.SecondsPerEpoch, 2), num(t.FirstEpochS, 2),
				num(t.BestValDice, 4), num(t.LastValDice, 4), mibCell(t.PeakGPUMiB), orDash(t.Metrics))
		}
	}
	if r.Bench != nil {
		fmt.Fprintf(&b, "\n## bench/compare\n\n`%s`\n\n%s\n", r.Bench.Command, r.Bench.Table)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func num(f Float, prec int) string {
	if math.IsNaN(float64(f)) {
		return "–"
	}
	return fmt.Sprintf("%.*f", prec, float64(f))
}

func mibCell(v float64) string {
	if v <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", v)
}

// cell fits text into one table cell.
func cell(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return orDash(s)
}
