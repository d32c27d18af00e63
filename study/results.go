package study

import (
	"fmt"
	"math"
	"strings"

	"github.com/angioseg/dskd/dskd"

	"github.com/angioseg/dskd/metrics"
)

// Row is a finished run of a study (a line of results.csv).
type Row struct {
	Arm       string  `json:"arm"`
	Preset    string  `json:"preset"`
	Fold      int     `json:"fold"`
	Seed      int64   `json:"seed"`
	Dir       string  `json:"dir"` // relative to the study folder
	Hash      string  `json:"config_hash"`
	BestEpoch int     `json:"best_epoch"` // picked on the inner validation split
	Epochs    int     `json:"epochs"`
	Threshold float64 `json:"threshold"`
	// Scores are the best model's metrics on the held-out fold,
	// "<metric>_pooled" (over all the fold's pixels) and "<metric>_mean"
	// (per-image mean) for every metric of metrics.AllMetrics, and
	// "val_dice" (pooled, inner validation). A NaN score is absent.
	Scores map[string]float64 `json:"scores"`
	// Cross are the same scores on the cross-domain data set (no
	// "val_dice"); CrossKey names that data set.
	Cross    map[string]float64 `json:"cross,omitempty"`
	CrossKey string             `json:"cross_key,omitempty"`
	// Last are the same scores of the run's last-epoch model (Spec.ScoreLast),
	// "val_dice" included when its threshold was picked again on
	// validation; LastEpoch and LastThreshold are that model's epoch and
	// threshold.
	Last          map[string]float64 `json:"last,omitempty"`
	LastEpoch     int                `json:"last_epoch,omitempty"`
	LastThreshold float64            `json:"last_threshold,omitempty"`
	// TrainSeconds sums the epochs' training time (it survives resumes);
	// WallSeconds is the time spent in dskd.Train and dskd.Resume, validation and
	// checkpoints included; of a call ended by a kill, the time to its last
	// checkpoint.
	TrainSeconds float64 `json:"train_seconds"`
	WallSeconds  float64 `json:"wall_seconds"`
	Threads      int     `json:"threads"`
}

// CrossPrefix marks the score keys of the cross-domain evaluation,
// LastPrefix those of the last-epoch model.
const (
	CrossPrefix = "cross_"
	LastPrefix  = "last_"
)

// scorePrefix is the prefix of a score key: CrossPrefix, LastPrefix or "".
func scorePrefix(key string) string {
	for _, p := range []string{CrossPrefix, LastPrefix} {
		if strings.HasPrefix(key, p) {
			return p
		}
	}
	return ""
}

// Score returns a score by key ("dice_pooled", "val_dice",
// "cross_dice_pooled" for the cross-domain one, "last_dice_pooled" for
// the last-epoch model's); NaN when absent.
func (r Row) Score(key string) float64 {
	prefix := scorePrefix(key)
	m := r.Scores
	switch prefix {
	case CrossPrefix:
		m = r.Cross
	case LastPrefix:
		m = r.Last
	}
	key = key[len(prefix):]
	if v, ok := m[key]; ok {
		return v
	}
	return math.NaN()
}

// heldOutScoreKeys are the keys of the held-out scores, in report order.
func heldOutScoreKeys() []string {
	var keys []string
	for _, m := range metrics.AllMetrics {
		keys = append(keys, string(m)+"_pooled", string(m)+"_mean")
	}
	return keys
}

// comparedScoreKeys are the scores the paired comparisons cover: every
// pooled metric and the per-image mean Dice.
func comparedScoreKeys(prefix string) []string {
	var keys []string
	for _, m := range metrics.AllMetrics {
		keys = append(keys, prefix+string(m)+"_pooled")
		if m == metrics.MetricDice {
			keys = append(keys, prefix+"dice_mean")
		}
	}
	return keys
}

// scoresOf flattens a metrics result into score keys, NaN left out.
func scoresOf(r metrics.Result) map[string]float64 {
	out := map[string]float64{}
	for _, s := range r.Summary {
		if !math.IsNaN(s.Pooled) {
			out[string(s.Metric)+"_pooled"] = s.Pooled
		}
		if !math.IsNaN(s.Mean) {
			out[string(s.Metric)+"_mean"] = s.Mean
		}
	}
	return out
}

// rowFromResult makes the row of a finished run.
func rowFromResult(r Job, res *dskd.Result) (Row, error) {
	if res.BestEpoch < 0 || res.Test == nil {
		return Row{}, fmt.Errorf("study: run %s ended without a best model (validation Dice never finite)", r.ID())
	}
	row := Row{Arm: r.Arm, Preset: r.Preset, Fold: r.Fold, Seed: r.Seed, Dir: r.Dir, Hash: r.Hash,
		BestEpoch: res.BestEpoch, Epochs: len(res.History), Threshold: res.Threshold,
		Scores: scoresOf(*res.Test)}
	if s, ok := res.Validation.Get(metrics.MetricDice); ok && !math.IsNaN(s.Pooled) {
		row.Scores["val_dice"] = s.Pooled
	}
	for _, h := range res.History {
		row.TrainSeconds += h.Seconds
	}
	return row, nil
}

// ArmSummary is one arm over its finished runs.
type ArmSummary struct {
	Arm, Preset string
	Runs        int
	// Scores summarises every score key over the runs (cross-domain keys
	// with CrossPrefix).
	Scores      map[string]MeanStd
	BestEpoch   MeanStd
	WallSeconds MeanStd
}

// Result is what a study reports: the grid, the finished runs, and
// their aggregates. It is plain data, for other report writers.
type Result struct {
	Dir  string
	Spec Spec // with defaults
	// PoolSize is the number of samples the folds partition.
	PoolSize int
	Runs     []Job // the whole grid, in training order
	Rows     []Row // finished runs, by arm, fold, seed
	Arms     []ArmSummary
	// Comparisons hold, for each arm with a baseline, every compared
	// score, held-out first, then cross-domain.
	Comparisons []Comparison
	// Ensembles are the scored seed ensembles (Spec.Ensembles), by arm
	// and fold; EnsembleArms summarise them per arm, and
	// EnsembleComparisons pair an arm's ensembles with its baseline's,
	// fold by fold.
	Ensembles           []EnsembleRow
	EnsembleArms        []EnsembleSummary
	EnsembleComparisons []Comparison
	// LastComparisons pair, per arm, each run's last-epoch model with the
	// model it kept (Spec.ScoreLast): Arm is "ARM, last epoch".
	LastComparisons []Comparison
	// CrossSize is the number of labelled cross-domain images (0: none).
	CrossSize int
	Stopped   bool              // a hook returned dskd.ErrStop or the context ended
	Failed    map[string]string // run ID -> error, for runs that failed
}

// aggregate fills Rows (ordered), Arms and Comparisons from rows.
func (res *Result) aggregate(arms []studyArm, baselines map[string]string, rows map[string]Row) {
	res.Rows, res.Arms, res.Comparisons = nil, nil, nil
	byArm := map[string][]Row{}
	for _, a := range arms {
		for _, fold := range res.Spec.FoldIDs {
			for _, seed := range res.Spec.Seeds {
				if row, ok := rows[pairKey(a.name, fold, effectiveSeed(seed))]; ok {
					res.Rows = append(res.Rows, row)
					byArm[a.name] = append(byArm[a.name], row)
				}
			}
		}
	}
	keys := append(heldOutScoreKeys(), "val_dice")
	if res.CrossSize > 0 {
		for _, k := range heldOutScoreKeys() {
			keys = append(keys, CrossPrefix+k)
		}
	}
	if res.Spec.ScoreLast {
		for _, k := range append(heldOutScoreKeys(), "val_dice") {
			keys = append(keys, LastPrefix+k)
		}
	}
	for _, a := range arms {
		runs := byArm[a.name]
		s := ArmSummary{Arm: a.name, Preset: a.preset, Runs: len(runs), Scores: map[string]MeanStd{}}
		for _, k := range keys {
			s.Scores[k] = meanStdOf(column(runs, func(r Row) float64 { return r.Score(k) }))
		}
		s.BestEpoch = meanStdOf(column(runs, func(r Row) float64 { return float64(r.BestEpoch) }))
		s.WallSeconds = meanStdOf(column(runs, func(r Row) float64 { return r.WallSeconds }))
		res.Arms = append(res.Arms, s)
	}
	compared := comparedScoreKeys("")
	if res.CrossSize > 0 {
		compared = append(compared, comparedScoreKeys(CrossPrefix)...)
	}
	if res.Spec.ScoreLast {
		compared = append(compared, comparedScoreKeys(LastPrefix)...)
	}
	for _, a := range arms {
		base, ok := baselines[a.name]
		if !ok {
			continue
		}
		for _, k := range compared {
			var diffs []pairedDifference
			for _, row := range byArm[a.name] {
				b, ok := rows[pairKey(base, row.Fold, row.Seed)]
				if d := row.Score(k) - b.Score(k); ok && !math.IsNaN(d) {
					diffs = append(diffs, pairedDifference{fold: row.Fold, d: d})
				}
			}
			c := compare(diffs, res.Spec.Bootstrap, res.Spec.BootstrapSeed)
			c.Arm, c.Baseline, c.Score = a.name, base, k
			res.Comparisons = append(res.Comparisons, c)
		}
	}
	res.aggregateLast()
}

func pairKey(arm string, fold int, seed int64) string {
	return fmt.Sprintf("%s\x00%d\x00%d", arm, fold, seed)
}

// column maps rows (runs or seed ensembles) to one value each.
func column[T any](rows []T, f func(T) float64) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out
}

// baselines maps each arm to the arm it is compared with: spec.Baseline
// when that names an arm; when it names a preset (or a named arm of the
// spec), the arm grown from it with the same override values. An arm is never its own baseline.
func baselines(spec Spec, arms []studyArm) (map[string]string, error) {
	out := map[string]string{}
	if spec.Baseline == "" {
		return out, nil
	}
	names := map[string]bool{}
	for _, a := range arms {
		names[a.name] = true
	}
	if names[spec.Baseline] {
		for _, a := range arms {
			if a.name != spec.Baseline {
				out[a.name] = spec.Baseline
			}
		}
		return out, nil
	}
	isBase := false
	for _, a := range arms {
		if a.base == spec.Baseline {
			isBase = true
		}
	}
	if !isBase {
		return nil, fmt.Errorf("study: baseline %q is neither an arm nor a preset of the grid", spec.Baseline)
	}
	for _, a := range arms {
		if a.base != spec.Baseline {
			out[a.name] = spec.Baseline + a.suffix
		}
	}
	return out, nil
}
