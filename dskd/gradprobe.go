package dskd

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/angioseg/dskd/internal/aten"
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
