package gpucheck

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/angioseg/dskd/metrics"
)

// TrainResult is one short training run, read from its metrics.csv.
type TrainResult struct {
	Preset          string  `json:"preset"`
	Batch           int     `json:"batch"`
	Epochs          int     `json:"epochs"`        // epochs finished
	SecondsPerEpoch Float   `json:"s_per_epoch"`   // median training time of the epochs after the first (all if only one)
	FirstEpochS     Float   `json:"first_epoch_s"` // includes start-up costs (cuDNN autotuning, allocator warm-up)
	BestValDice     Float   `json:"best_val_dice"` // pooled, threshold 0.5; null when no epoch was validated
	LastValDice     Float   `json:"last_val_dice"`
	PeakGPUMiB      float64 `json:"peak_gpu_mem_mib,omitempty"`
	Metrics         string  `json:"metrics,omitempty"` // copy of metrics.csv in the report folder
	RunDir          string  `json:"run_dir"`
}

// trainArgs are the `dskd train` arguments of one run on dataDir.
func trainArgs(c Config, device, out, dataDir, preset string, batch int) []string {
	args := []string{"train", "--dataset", "dca1", "--data", dataDir, "--out", out, "--device", device,
		"--epochs", strconv.Itoa(c.Train.Epochs), "--batch", strconv.Itoa(batch), "--crop", strconv.Itoa(c.Train.Crop),
		"--base", strconv.Itoa(c.Train.Base), "--preset", preset, "--quiet", "--overwrite"}
	return append(args, c.Train.Extra...)
}

// ParseMetricsCSV reads the epoch count, times and validation Dice of a
// run's metrics.csv (columns found by name: epoch, val_dice, seconds).
func ParseMetricsCSV(r io.Reader) (TrainResult, error) {
	var res TrainResult
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return res, fmt.Errorf("gpucheck: metrics.csv: %w", err)
	}
	if len(rows) < 2 {
		return res, fmt.Errorf("gpucheck: metrics.csv has no epoch row")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, name := range []string{"epoch", "val_dice", "seconds"} {
		if _, ok := col[name]; !ok {
			return res, fmt.Errorf("gpucheck: metrics.csv has no %s column", name)
		}
	}
	num := func(row []string, name string) float64 {
		v, err := strconv.ParseFloat(row[col[name]], 64)
		if err != nil {
			return math.NaN() // an empty cell: not validated
		}
		return v
	}
	var secs []float64
	best, last := math.NaN(), math.NaN()
	for _, row := range rows[1:] {
		secs = append(secs, num(row, "seconds"))
		d := num(row, "val_dice")
		if !math.IsNaN(d) && (math.IsNaN(best) || d > best) {
			best = d
		}
		last = d
	}
	res.Epochs = len(secs)
	res.FirstEpochS = Float(secs[0])
	later := secs
	if len(secs) > 1 {
		later = secs[1:]
	}
	res.SecondsPerEpoch = Float(metrics.Median(later))
	res.BestValDice, res.LastValDice = Float(best), Float(last)
	return res, nil
}

// Float is a float64 that JSON encodes as null when it is NaN or infinite
// (encoding/json refuses those).
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatFloat(v, 'g', -1, 64)), nil
}

// UnmarshalJSON implements json.Unmarshaler (null becomes NaN).
func (f *Float) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = Float(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	*f = Float(v)
	return err
}
