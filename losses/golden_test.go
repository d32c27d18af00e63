package losses

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/angioseg/dskd/internal/aten"
)

// golden mirrors testdata/golden/losses.json, written by
// tools/golden/losses_golden.py (PyTorch).
type golden struct {
	Torch   string      `json:"torch"`
	Shape   []int64     `json:"shape"`
	Student [][]float64 `json:"student"`
	Teacher [][]float64 `json:"teacher"`
	Target  []float64   `json:"target"`
	Cases   []struct {
		Name   string         `json:"name"`
		Kind   string         `json:"kind"`
		Params map[string]any `json:"params"`
		Value  float64        `json:"value"`
	} `json:"cases"`
}

func loadGolden(t *testing.T) *golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "golden", "losses.json"))
	require.NoError(t, err, "regenerate with /usr/bin/python3 tools/golden/losses_golden.py > testdata/golden/losses.json")
	var g golden
	require.NoError(t, json.Unmarshal(b, &g))
	require.GreaterOrEqual(t, len(g.Cases), 30, "golden file has too few cases")
	return &g
}

func num(p map[string]any, k string, def float64) float64 {
	if v, ok := p[k].(float64); ok {
		return v
	}
	return def
}

func flag(p map[string]any, k string) bool {
	v, _ := p[k].(bool)
	return v
}

func ddlOpts(p map[string]any) DDLOptions {
	o := DDLOptions{
		Grid:      int(num(p, "g", 4)),
		Tau:       num(p, "tau", 3),
		Eps:       num(p, "eps", 1e-6),
		RawCounts: flag(p, "raw"),
		ReverseKL: flag(p, "reverse"),
	}
	if p["tau2"] == false {
		o.TauSquared = Off
	}
	return o
}

func TestGoldenPyTorch(t *testing.T) {
	g := loadGolden(t)
	run(t, func(sc *aten.Scope) error {
		var s, te []*Tensor
		for i := range g.Student {
			s = append(s, tensor(t, sc, g.Student[i], g.Shape))
			te = append(te, tensor(t, sc, g.Teacher[i], g.Shape))
		}
		y := tensor(t, sc, g.Target, g.Shape)
		main := s[len(s)-1]
		for _, c := range g.Cases {
			var got *Tensor
			var err error
			p := c.Params
			switch c.Kind {
			case "dice":
				in := main
				if p["input"] == "teacher0" {
					in = te[0]
				}
				got, err = Dice(in, y)
			case "bce":
				got, err = BCEWithLogits(main, y)
			case "psdl":
				got, err = PixelwiseSelfKD(main, te[len(te)-1], y, num(p, "alpha", -1))
			case "ddl":
				got, err = DeepDistribution(s, te, ddlOpts(p))
			case "ddl1":
				got, err = DeepDistribution(s[1:2], te[1:2], ddlOpts(p))
			case "ds":
				var w []float64
				if ws, ok := p["weights"].([]any); ok {
					for _, v := range ws {
						w = append(w, v.(float64))
					}
				}
				got, err = DeepSupervision(s[:len(s)-1], y, w)
			case "objective":
				cfg := Config{
					Preset:        Preset(p["preset"].(string)),
					LambdaPSDL:    num(p, "lambda_psdl", 0),
					LambdaDDL:     num(p, "lambda_ddl", 0),
					AlphaT:        num(p, "alpha_T", 0),
					DDLStartEpoch: int(num(p, "start", 0)),
					DDL:           DDLOptions{Grid: int(num(p, "g", 0)), Tau: num(p, "tau", 0)},
				}
				if sch, ok := p["schedule"].(string); ok {
					cfg.DDLSchedule = DDLSchedule(sch)
				}
				obj, e := NewObjective(cfg)
				if e != nil {
					return e
				}
				teacher := output(te)
				if !flag(p, "teacher") {
					teacher = nil
				}
				var bd Breakdown
				got, bd, err = obj.Compute(output(s), teacher, y, int(num(p, "epoch", 0)), int(num(p, "total", 0)))
				if err == nil {
					assert.Truef(t, near(bd.Total, c.Value, 1e-5), "%s: breakdown total %.10g, PyTorch %.10g", c.Name, bd.Total, c.Value)
				}
			default:
				require.Failf(t, "unknown golden kind", "%q", c.Kind)
			}
			if !assert.NoError(t, err, c.Name) {
				continue
			}
			v, err := Scalar(got)
			got.Free()
			require.NoError(t, err, c.Name)
			assert.Truef(t, near(v, c.Value, 1e-5), "%s: Go %.10g, PyTorch %.10g", c.Name, v, c.Value)
		}
		return nil
	})
}
