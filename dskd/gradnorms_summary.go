package dskd

import (
	"math"
	"slices"
)

// GradSummary averages the GradNorm rows of one term and group over a
// span of epochs [From, To].
type GradSummary struct {
	From, To    int
	Term, Group string
	Steps       int     // measured steps
	Weight      float64 // mean weight
	Norm        float64 // mean norm
	// CosDice and CosTotal are mean cosines over the steps where they are
	// defined; AgainstDice is the share of those steps with CosDice < 0.
	CosDice, CosTotal, AgainstDice float64
}

// SummariseGradNorms averages rows of group over spans equal spans of
// the epochs they cover, per term, in the order terms first appear (the
// total last).
func SummariseGradNorms(rows []GradNorm, group string, spans int) []GradSummary {
	last := -1
	var terms []string
	seen := map[string]bool{}
	for _, r := range rows {
		last = max(last, r.Epoch)
		if r.Group == group && !seen[r.Term] {
			seen[r.Term] = true
			terms = append(terms, r.Term)
		}
	}
	if last < 0 || spans < 1 {
		return nil
	}
	if i := slices.Index(terms, TermTotal); i >= 0 { // the step's gradient last
		terms = append(slices.Delete(terms, i, i+1), TermTotal)
	}
	spans = min(spans, last+1)
	spanOf := func(epoch int) int { return epoch * spans / (last + 1) }
	type acc struct {
		n, nd, nt, against int
		w, norm, cd, ct    float64
	}
	sums := make([]map[string]*acc, spans)
	for i := range sums {
		sums[i] = map[string]*acc{}
	}
	for _, r := range rows {
		if r.Group != group {
			continue
		}
		a := sums[spanOf(r.Epoch)][r.Term]
		if a == nil {
			a = &acc{}
			sums[spanOf(r.Epoch)][r.Term] = a
		}
		a.n++
		a.w += r.Weight
		a.norm += r.Norm
		if !math.IsNaN(r.CosDice) {
			a.nd++
			a.cd += r.CosDice
			if r.CosDice < 0 {
				a.against++
			}
		}
		if !math.IsNaN(r.CosTotal) {
			a.nt++
			a.ct += r.CosTotal
		}
	}
	mean := func(s float64, n int) float64 {
		if n == 0 {
			return math.NaN()
		}
		return s / float64(n)
	}
	var out []GradSummary
	for i, m := range sums {
		from := (i*(last+1) + spans - 1) / spans
		to := ((i+1)*(last+1)+spans-1)/spans - 1
		for _, term := range terms {
			a := m[term]
			if a == nil {
				continue
			}
			out = append(out, GradSummary{From: from, To: to, Term: term, Group: group, Steps: a.n,
				Weight: mean(a.w, a.n), Norm: mean(a.norm, a.n), CosDice: mean(a.cd, a.nd), CosTotal: mean(a.ct, a.nt),
				AgainstDice: mean(float64(a.against), a.nd)})
		}
	}
	return out
}
