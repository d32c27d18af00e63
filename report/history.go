package report

import (
	"encoding/json"
	"math"
	"sort"
)

// EpochRecord is one row of a training history.
//
// ValDice is NaN for an epoch that was not validated. Any float field may be
// NaN or ±Inf (a diverged loss, say); JSON encodes NaN and ±Inf as null,
// and decoding turns null back into NaN, so a history always round-trips
// through encoding/json without error.
type EpochRecord struct {
	Epoch     int                `json:"epoch"`
	TrainLoss float64            `json:"train_loss"`
	Parts     map[string]float64 `json:"parts,omitempty"`
	ValDice   float64            `json:"val_dice"`
	ValScores map[string]float64 `json:"val_scores,omitempty"`
	LR        float64            `json:"lr"`
	Alpha     float64            `json:"alpha"`
	// LambdaDDL is the effective DDL weight λ_DDL(t) of the epoch (0 in
	// presets without DDL and before the teacher exists).
	LambdaDDL float64 `json:"lambda_ddl"`
	Seconds   float64 `json:"seconds"`
}

// jsonFloat is a float64 that encodes non-finite values as null and decodes
// null as NaN.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = jsonFloat(math.NaN())
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = jsonFloat(v)
	return nil
}

// epochJSON is the wire form of EpochRecord.
type epochJSON struct {
	Epoch     int                  `json:"epoch"`
	TrainLoss jsonFloat            `json:"train_loss"`
	Parts     map[string]jsonFloat `json:"parts,omitempty"`
	ValDice   jsonFloat            `json:"val_dice"`
	ValScores map[string]jsonFloat `json:"val_scores,omitempty"`
	LR        jsonFloat            `json:"lr"`
	Alpha     jsonFloat            `json:"alpha"`
	LambdaDDL jsonFloat            `json:"lambda_ddl"`
	Seconds   jsonFloat            `json:"seconds"`
}

// MarshalJSON implements json.Marshaler (non-finite values become null).
func (r EpochRecord) MarshalJSON() ([]byte, error) {
	return json.Marshal(epochJSON{
		Epoch: r.Epoch, TrainLoss: jsonFloat(r.TrainLoss), Parts: toJSONMap(r.Parts),
		ValDice: jsonFloat(r.ValDice), ValScores: toJSONMap(r.ValScores),
		LR: jsonFloat(r.LR), Alpha: jsonFloat(r.Alpha), LambdaDDL: jsonFloat(r.LambdaDDL), Seconds: jsonFloat(r.Seconds),
	})
}

// UnmarshalJSON implements json.Unmarshaler (null becomes NaN; a missing
// val_dice also becomes NaN, meaning "not validated").
func (r *EpochRecord) UnmarshalJSON(b []byte) error {
	w := epochJSON{ValDice: jsonFloat(math.NaN())}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*r = EpochRecord{
		Epoch: w.Epoch, TrainLoss: float64(w.TrainLoss), Parts: fromJSONMap(w.Parts),
		ValDice: float64(w.ValDice), ValScores: fromJSONMap(w.ValScores),
		LR: float64(w.LR), Alpha: float64(w.Alpha), LambdaDDL: float64(w.LambdaDDL), Seconds: float64(w.Seconds),
	}
	return nil
}

func toJSONMap(m map[string]float64) map[string]jsonFloat {
	if m == nil {
		return nil
	}
	out := make(map[string]jsonFloat, len(m))
	for k, v := range m {
		out[k] = jsonFloat(v)
	}
	return out
}

func fromJSONMap(m map[string]jsonFloat) map[string]float64 {
	if m == nil {
		return nil
	}
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = float64(v)
	}
	return out
}

// partNames returns the sorted union of Parts keys over the history.
func partNames(history []EpochRecord) []string {
	return unionKeys(history, func(r EpochRecord) map[string]float64 { return r.Parts })
}

// valScoreNames returns the sorted union of ValScores keys over the history.
func valScoreNames(history []EpochRecord) []string {
	return unionKeys(history, func(r EpochRecord) map[string]float64 { return r.ValScores })
}

func unionKeys(history []EpochRecord, get func(EpochRecord) map[string]float64) []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range history {
		for k := range get(r) {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	return names
}
