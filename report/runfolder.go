package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/angioseg/dskd/metrics"
)

// runFolder is what WriteHTML found in a run folder. Every part is
// optional: a run that crashed in its first epoch has a config alone.
type runFolder struct {
	Dir      string
	Config   []keyValue // config.json flattened, in file order
	Epochs   int        // configured epochs (0 when unknown)
	History  []EpochRecord
	Split    *SplitInfo
	Val      *splitMetrics // val_metrics.json
	Test     *splitMetrics // test_metrics.json
	Overlays map[string]string
	Notes    []string // files that could not be read, or were left from an older run
	started  time.Time
}

// keyValue is one leaf of the configuration.
type keyValue struct{ Key, Value string }

// splitMetrics is the part of a metrics.Result JSON file the page shows.
type splitMetrics struct {
	Threshold float64
	Summary   []metricSummary
	Images    []imageScores
}

type metricSummary struct {
	Metric            string
	Pooled, Mean, Std float64
	N                 int
}

// imageScores holds one image's score per metric name (NaN when absent).
type imageScores struct {
	Name   string
	Scores map[string]float64
}

// readRunFolder reads every known file of dir. Files older than
// config.json (left by an earlier run in the same folder) are skipped
// with a note, as are files that do not parse.
func readRunFolder(dir string) (*runFolder, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("report: %s is not a folder", dir)
	}
	r := &runFolder{Dir: dir, Overlays: map[string]string{}}
	cfgPath := filepath.Join(dir, "config.json")
	if cst, err := os.Stat(cfgPath); err == nil {
		r.started = cst.ModTime()
	}
	found := false
	if b, ok := r.read("config.json"); ok {
		found = true
		if r.Config, err = flattenJSON(b); err != nil {
			r.note("config.json: %v", err)
		}
		var c struct {
			Epochs int `json:"epochs"`
		}
		_ = json.Unmarshal(b, &c) // a parse error is already noted
		r.Epochs = c.Epochs
	}
	if _, ok := r.stat("metrics.csv"); ok {
		found = true
		if r.History, err = ReadMetricsCSVFile(filepath.Join(dir, "metrics.csv")); err != nil {
			r.note("%v", err)
		}
	}
	if !found {
		return nil, fmt.Errorf("report: %s is not a run folder: it has neither config.json nor metrics.csv", dir)
	}
	if b, ok := r.read(SplitFile); ok {
		var s SplitInfo
		if err := json.Unmarshal(b, &s); err != nil {
			r.note("%s: %v", SplitFile, err)
		} else {
			r.Split = &s
		}
	}
	r.Val = r.readMetrics("val_metrics.json")
	r.Test = r.readMetrics("test_metrics.json")
	r.readOverlays()
	return r, nil
}

func (r *runFolder) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// stat reports whether name exists in the run folder and is not older
// than config.json.
func (r *runFolder) stat(name string) (fs.FileInfo, bool) {
	st, err := os.Stat(filepath.Join(r.Dir, name))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			r.note("%s: %v", name, err)
		}
		return nil, false
	}
	if !r.started.IsZero() && st.ModTime().Before(r.started) && name != "config.json" {
		r.note("%s is older than config.json (left by an earlier run in this folder): not shown", name)
		return nil, false
	}
	return st, true
}

func (r *runFolder) read(name string) ([]byte, bool) {
	if _, ok := r.stat(name); !ok {
		return nil, false
	}
	b, err := os.ReadFile(filepath.Join(r.Dir, name))
	if err != nil {
		r.note("%s: %v", name, err)
		return nil, false
	}
	return b, true
}

// metricsJSON is the wire form of metrics.Result (see its MarshalJSON);
// null values decode as NaN.
type metricsJSON struct {
	Threshold float64 `json:"threshold"`
	Summary   []struct {
		Metric string   `json:"metric"`
		Pooled *float64 `json:"pooled"`
		Mean   *float64 `json:"mean"`
		Std    *float64 `json:"std"`
		N      int      `json:"n"`
	} `json:"summary"`
	Images []map[string]any `json:"images"`
}

func (r *runFolder) readMetrics(name string) *splitMetrics {
	b, ok := r.read(name)
	if !ok {
		return nil
	}
	var w metricsJSON
	if err := json.Unmarshal(b, &w); err != nil {
		r.note("%s: %v", name, err)
		return nil
	}
	m := &splitMetrics{Threshold: w.Threshold}
	for _, s := range w.Summary {
		m.Summary = append(m.Summary, metricSummary{Metric: s.Metric, Pooled: orNaN(s.Pooled), Mean: orNaN(s.Mean), Std: orNaN(s.Std), N: s.N})
	}
	for _, im := range w.Images {
		name, _ := im["name"].(string)
		sc := imageScores{Name: name, Scores: map[string]float64{}}
		for _, metric := range metrics.AllMetrics {
			v, ok := im[string(metric)].(float64)
			if !ok {
				v = math.NaN()
			}
			sc.Scores[string(metric)] = v
		}
		m.Images = append(m.Images, sc)
	}
	return m
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// readOverlays maps each overlay's file stem to its path.
func (r *runFolder) readOverlays() {
	paths, _ := filepath.Glob(filepath.Join(r.Dir, "overlays", "*.png"))
	stale := 0
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		if !r.started.IsZero() && st.ModTime().Before(r.started) {
			stale++
			continue
		}
		r.Overlays[strings.TrimSuffix(filepath.Base(p), ".png")] = p
	}
	if stale > 0 {
		r.note("%d overlay(s) older than config.json (left by an earlier run in this folder): not shown", stale)
	}
}

// flattenJSON lists the leaves of a JSON object as dotted keys in file
// order; arrays of scalars stay on one line.
func flattenJSON(b []byte) ([]keyValue, error) {
	var root orderedValue
	if err := json.Unmarshal(b, &root); err != nil {
		return nil, err
	}
	var out []keyValue
	root.flatten("", &out)
	return out, nil
}

// orderedValue is a JSON value that keeps its object keys in order.
type orderedValue struct {
	keys   []string
	fields map[string]*orderedValue
	raw    json.RawMessage // scalars and arrays
}

func (v *orderedValue) UnmarshalJSON(b []byte) error {
	trimmed := strings.TrimSpace(string(b))
	if !strings.HasPrefix(trimmed, "{") {
		v.raw = append(json.RawMessage(nil), b...)
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	if _, err := dec.Token(); err != nil { // {
		return err
	}
	v.fields = map[string]*orderedValue{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		child := &orderedValue{}
		if err := dec.Decode(child); err != nil {
			return err
		}
		if _, dup := v.fields[key]; !dup {
			v.keys = append(v.keys, key)
		}
		v.fields[key] = child
	}
	return nil
}

func (v *orderedValue) flatten(prefix string, out *[]keyValue) {
	if v.fields == nil {
		*out = append(*out, keyValue{Key: prefix, Value: compactJSON(v.raw)})
		return
	}
	if len(v.keys) == 0 && prefix != "" {
		*out = append(*out, keyValue{Key: prefix, Value: "{}"})
	}
	for _, k := range v.keys {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		v.fields[k].flatten(key, out)
	}
}

func compactJSON(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return strings.ReplaceAll(string(b), ",", ", ")
}

// sortedOverlayNames lists the overlay stems in name order.
func (r *runFolder) sortedOverlayNames() []string {
	names := make([]string, 0, len(r.Overlays))
	for n := range r.Overlays {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
