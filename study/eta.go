package study

import (
	"time"
)

// remainingTime estimates how long the study's unfinished runs will take:
// each counts the mean duration of its arm's finished runs (of all finished
// runs while its arm has none), and jobs run side by side. A run in flight
// counts whole, so the estimate errs long by at most one run per job. ok is
// false until some run has finished.
func remainingTime(runs []Job, rows map[string]Row, jobs int) (left time.Duration, ok bool) {
	sum, n := map[string]float64{}, map[string]int{}
	var all float64
	for _, r := range rows {
		d := runSeconds(r)
		sum[r.Arm] += d
		n[r.Arm]++
		all += d
	}
	if len(rows) == 0 {
		return 0, false
	}
	var seconds float64
	for _, r := range runs {
		if _, done := rows[pairKey(r.Arm, r.Fold, r.Seed)]; done {
			continue
		}
		if n[r.Arm] > 0 {
			seconds += sum[r.Arm] / float64(n[r.Arm])
		} else {
			seconds += all / float64(len(rows))
		}
	}
	return time.Duration(seconds / float64(max(1, jobs)) * float64(time.Second)).Round(time.Minute), true
}

// runSeconds is how long a finished run took: its wall time, or its summed
// epoch times where kills lost part of the wall time.
func runSeconds(r Row) float64 { return max(r.WallSeconds, r.TrainSeconds) }
