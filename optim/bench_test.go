package optim

import (
	"testing"

	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/models"
)

// unetWithGrads builds a U-Net (depth 4) and gives every trainable variable
// a gradient (of Σ w²/2, i.e. g = w), so Step has work on every parameter.
func unetWithGrads(b *testing.B, base int) *nn.VarStore {
	m, err := models.New(models.UNetConfig{Base: base}, gotch.CPU)
	if err != nil {
		b.Fatal(err)
	}
	vs := m.VarStore()
	s := aten.NewScope()
	defer s.Close()
	var loss *aten.Tensor
	for _, v := range aten.Vars(vs) {
		if v.Trainable {
			loss = s.Totals(loss, s.Sum(s.Mul(v.T, v.T)))
		}
	}
	s.Backward(loss)
	if err := s.Err(); err != nil {
		b.Fatal(err)
	}
	return vs
}

// BenchmarkAdamWStep compares one AdamW step over a U-Net's parameters:
// this package's (single-tensor ops from Go, like PyTorch's default CPU
// path) against gotch's nn.AdamW (libtorch's C++ torch::optim::AdamW).
//
//	go test ./optim -run '^$' -bench AdamWStep -benchtime 50x
func BenchmarkAdamWStep(b *testing.B) {
	for _, base := range []int{16, 32} {
		b.Run("go/base"+itoa(base), func(b *testing.B) {
			err := engine.Run(func() error {
				engine.SetThreads(0)
				vs := unetWithGrads(b, base)
				o, err := New(Config{}, vs)
				if err != nil {
					return err
				}
				defer o.Free()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := o.Step(1e-3); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
		b.Run("gotch/base"+itoa(base), func(b *testing.B) {
			err := engine.Run(func() error {
				engine.SetThreads(0)
				vs := unetWithGrads(b, base)
				cfg := nn.DefaultAdamWConfig()
				cfg.Wd = 1e-5
				o, err := cfg.Build(vs, 1e-3)
				if err != nil {
					return err
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := o.Step(); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
