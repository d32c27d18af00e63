package metrics

import (
	"encoding/json"
	"math"
)

// Summary is one metric over a data set.
type Summary struct {
	Metric Metric
	Pooled float64 // from summed counts / all pixels pooled
	Mean   float64 // mean over images, NaN values skipped
	Std    float64 // sample standard deviation (n-1) over the same images
	N      int     // images that entered Mean and Std
}

// Result is what an Accumulator reports.
type Result struct {
	Threshold    float32
	ZeroDivision ZeroDivision
	// AUCMethod is "exact" or "histogram-<bins>" for the pooled AUC.
	AUCMethod string
	// AUCErrorBound bounds |pooled AUC - exact| (0 when exact).
	AUCErrorBound float64
	ClDice        bool // whether clDice was computed
	Pooled        Confusion
	PooledClDice  ClDiceCounts
	Summary       []Summary // one per metric, in AllMetrics order
	Images        []ImageResult
}

// Get returns the summary of metric m.
func (r Result) Get(m Metric) (Summary, bool) {
	for _, s := range r.Summary {
		if s.Metric == m {
			return s, true
		}
	}
	return Summary{}, false
}

// num maps NaN and ±Inf to JSON null.
func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// MarshalJSON writes lower-case fields; NaN becomes null.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Metric Metric   `json:"metric"`
		Pooled *float64 `json:"pooled"`
		Mean   *float64 `json:"mean"`
		Std    *float64 `json:"std"`
		N      int      `json:"n"`
	}{s.Metric, num(s.Pooled), num(s.Mean), num(s.Std), s.N})
}

// MarshalJSON writes lower-case fields; NaN becomes null.
func (r ImageResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name         string       `json:"name"`
		Counts       Confusion    `json:"counts"`
		ClDiceCounts ClDiceCounts `json:"cldice_counts"`
		Dice         *float64     `json:"dice"`
		IoU          *float64     `json:"iou"`
		Accuracy     *float64     `json:"accuracy"`
		Sensitivity  *float64     `json:"sensitivity"`
		Specificity  *float64     `json:"specificity"`
		Precision    *float64     `json:"precision"`
		AUC          *float64     `json:"auc"`
		ClDice       *float64     `json:"cldice"`
	}{r.Name, r.Counts, r.ClDiceCounts,
		num(r.Scores.Dice), num(r.Scores.IoU), num(r.Scores.Accuracy),
		num(r.Scores.Sensitivity), num(r.Scores.Specificity), num(r.Scores.Precision),
		num(r.AUC), num(r.ClDice)})
}

// MarshalJSON writes lower-case fields; NaN becomes null.
func (r Result) MarshalJSON() ([]byte, error) {
	images := r.Images
	if images == nil {
		images = []ImageResult{}
	}
	return json.Marshal(struct {
		Threshold     float32       `json:"threshold"`
		ZeroDivision  string        `json:"zero_division"`
		AUCMethod     string        `json:"auc_method"`
		AUCErrorBound *float64      `json:"auc_error_bound"`
		ClDice        bool          `json:"cldice"`
		NumImages     int           `json:"num_images"`
		Pooled        Confusion     `json:"pooled_counts"`
		PooledClDice  ClDiceCounts  `json:"pooled_cldice_counts"`
		Summary       []Summary     `json:"summary"`
		Images        []ImageResult `json:"images"`
	}{r.Threshold, r.ZeroDivision.String(), r.AUCMethod, num(r.AUCErrorBound),
		r.ClDice, len(r.Images), r.Pooled, r.PooledClDice, r.Summary, images})
}
