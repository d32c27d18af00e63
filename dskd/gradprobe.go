package dskd

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/internal/atomicfile"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
)

// GradNormsFile is the run folder's table of per-term gradients
// (Config.GradNorms).
const GradNormsFile = "grad_norms.csv"

// Parameter groups of a GradNorm row: the whole network, the encoder, the
// decoder's upsampling and blocks, each side head ("side<level>", level 0
// = full resolution) and the output head.
const (
	GroupAll     = "all"
	GroupEncoder = "encoder"
	GroupDecoder = "decoder"
	GroupHead    = "head"
)

// TermTotal names the rows of the sum of all terms (the step's gradient).
const TermTotal = "total"

// GradNorm is one row of grad_norms.csv: at a training step, one loss
// term's gradient (weight included) restricted to one parameter group.
type GradNorm struct {
	Epoch, Step int    // the step within its epoch
	Term        string // a losses.Term* name, or TermTotal
	Weight      float64
	Group       string
	Norm        float64 // L2 norm of the term's gradient over the group
	// CosDice and CosTotal are the cosines between the term's gradient and
	// the Dice term's (the label term every preset has), and the total
	// gradient, over the group: below 0 the term pulls against it. NaN
	// where either gradient is zero.
	CosDice, CosTotal float64
}

// gradProbe measures each term's gradient every Config.GradNorms steps. It
// runs on the step's own forward graph between the objective and the real
// backward pass, and zeroes the gradients it leaves: the step is unchanged.
type gradProbe struct {
	every  int
	params []aten.Var // trainable, in name order
	group  []string   // group of each param
	groups []string   // every group, GroupAll first
	rows   []GradNorm
}

// newGradProbe is the probe of a run, nil when Config.GradNorms is 0.
func newGradProbe(every int, student *models.UNet) (*gradProbe, error) {
	if every <= 0 {
		return nil, nil
	}
	arch, err := models.Describe(student.Config())
	if err != nil {
		return nil, fmt.Errorf("dskd: grad_norms: %w", err)
	}
	layerGroup := map[string]string{arch.Head.Name: GroupHead}
	groups := []string{GroupAll, GroupEncoder, GroupDecoder}
	for _, st := range arch.Encoder {
		for _, l := range []models.Layer{st.Conv1, st.BN1, st.Conv2, st.BN2} {
			layerGroup[l.Name] = GroupEncoder
		}
	}
	for _, st := range arch.Decoder {
		if st.Side != nil {
			g := "side" + strconv.Itoa(st.Skip)
			layerGroup[st.Side.Name] = g
			groups = append(groups, g)
		}
	}
	groups = append(groups, GroupHead)
	p := &gradProbe{every: every, groups: groups}
	for _, v := range aten.Vars(student.VarStore()) {
		if !v.Trainable {
			continue
		}
		layer := v.Name[:max(strings.LastIndexByte(v.Name, '.'), 0)]
		g, ok := layerGroup[layer]
		if !ok {
			g = GroupDecoder
		}
		p.params = append(p.params, v)
		p.group = append(p.group, g)
	}
	return p, nil
}

// due reports whether the run's global step (before it is counted) is measured.
func (p *gradProbe) due(globalStep int64) bool {
	return p != nil && globalStep%int64(p.every) == 0
}

// measure computes each weighted term's gradient of this forward pass
// (out, targets, y) and records its rows.
func (t *trainer) measureGradients(out, targets *models.Output, y *aten.Tensor, at stepAt) error {
	p := t.probe
	if !p.due(t.state.Step) {
		return nil
	}
	terms, err := t.obj.WeightedTerms(out, targets, y, at.epoch, t.cfg.Epochs)
	if err != nil {
		return fmt.Errorf("dskd: grad_norms: %w", err)
	}
	defer func() {
		for _, term := range terms {
			term.Loss.Free()
		}
	}()
	grads := make([][][]float32, len(terms)) // term, param, values
	for i, term := range terms {
		if grads[i], err = t.termGradient(term.Loss); err != nil {
			return fmt.Errorf("dskd: grad_norms: %s at epoch %d step %d: %w", term.Name, at.epoch, at.step, err)
		}
	}
	if err := t.opt.ZeroGrad(); err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	total := make([][]float32, len(p.params))
	dice := -1
	for j := range p.params {
		total[j] = make([]float32, len(grads[0][j]))
		for i := range terms {
			for k, v := range grads[i][j] {
				total[j][k] += v
			}
		}
	}
	for i, term := range terms {
		if term.Name == losses.TermDice {
			dice = i
		}
	}
	add := func(name string, weight float64, g [][]float32) {
		for _, group := range p.groups {
			var gg, gd, gt, dd, tt float64
			for j := range p.params {
				if group != GroupAll && p.group[j] != group {
					continue
				}
				for k, v := range g[j] {
					x, tv := float64(v), float64(total[j][k])
					gg += x * x
					gt += x * tv
					tt += tv * tv
					if dice >= 0 {
						d := float64(grads[dice][j][k])
						gd += x * d
						dd += d * d
					}
				}
			}
			p.rows = append(p.rows, GradNorm{Epoch: at.epoch, Step: at.step, Term: name, Weight: weight, Group: group,
				Norm: math.Sqrt(gg), CosDice: cosine(gd, gg, dd), CosTotal: cosine(gt, gg, tt)})
		}
	}
	for i, term := range terms {
		add(term.Name, term.Weight, grads[i])
	}
	add(TermTotal, 1, total)
	return nil
}

// termGradient is loss's gradient per trainable parameter (zeros where
// none reaches it), keeping the forward graph for the next pass.
func (t *trainer) termGradient(loss *aten.Tensor) ([][]float32, error) {
	if err := t.opt.ZeroGrad(); err != nil {
		return nil, err
	}
	s := aten.NewScope()
	defer s.Close()
	s.BackwardKeepingGraph(loss)
	out := make([][]float32, len(t.probe.params))
	for j, v := range t.probe.params {
		if g := s.Grad(v.T); g != nil {
			out[j] = s.Float32s(g)
			s.Free(g)
		} else {
			out[j] = make([]float32, v.T.Numel())
		}
	}
	return out, s.Err()
}

func cosine(dot, aa, bb float64) float64 {
	if aa == 0 || bb == 0 {
		return math.NaN()
	}
	return dot / math.Sqrt(aa*bb)
}

// gradNormsHeader is the header of grad_norms.csv.
var gradNormsHeader = []string{"epoch", "step", "term", "weight", "group", "norm", "cos_dice", "cos_total"}

// write replaces the run folder's grad_norms.csv with every row so far.
func (p *gradProbe) write(dir string) error {
	if p == nil {
		return nil
	}
	err := atomicfile.Write(filepath.Join(dir, GradNormsFile), func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(gradNormsHeader); err != nil {
			return err
		}
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		for _, r := range p.rows {
			if err := cw.Write([]string{strconv.Itoa(r.Epoch), strconv.Itoa(r.Step), r.Term, f(r.Weight), r.Group,
				f(r.Norm), f(r.CosDice), f(r.CosTotal)}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	return nil
}

// resume keeps the rows of dir's grad_norms.csv measured before the
// resumed position (epoch, step): the steps after it are trained again.
func (p *gradProbe) resume(dir string, epoch, step int) error {
	if p == nil {
		return nil
	}
	rows, err := ReadGradNorms(filepath.Join(dir, GradNormsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Epoch < epoch || (r.Epoch == epoch && r.Step < step) {
			p.rows = append(p.rows, r)
		}
	}
	return nil
}

// ReadGradNorms reads a grad_norms.csv.
func ReadGradNorms(path string) ([]GradNorm, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("dskd: %s: %w", path, err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(gradNormsHeader, ",") {
		return nil, fmt.Errorf("dskd: %s: not a grad_norms table (want the header %s)", path, strings.Join(gradNormsHeader, ","))
	}
	rows := make([]GradNorm, 0, len(recs)-1)
	for i, rec := range recs[1:] {
		var r GradNorm
		var errs [6]error
		r.Epoch, errs[0] = strconv.Atoi(rec[0])
		r.Step, errs[1] = strconv.Atoi(rec[1])
		r.Term, r.Group = rec[2], rec[4]
		r.Weight, errs[2] = strconv.ParseFloat(rec[3], 64)
		r.Norm, errs[3] = strconv.ParseFloat(rec[5], 64)
		r.CosDice, errs[4] = strconv.ParseFloat(rec[6], 64)
		r.CosTotal, errs[5] = strconv.ParseFloat(rec[7], 64)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("dskd: %s line %d: %w", path, i+2, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

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
