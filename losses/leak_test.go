package losses_test

import (
	"runtime/debug"
	"testing"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/ts"
)

// TestNoTensorLeak counts live gotch tensors over repeated training steps
// (Forward, Compute, Backward) with the GC off, so finalizers cannot hide
// a leak: every step must free everything it allocates.
func TestNoTensorLeak(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	err := engine.Run(func() error {
		engine.ManualSeed(3)
		cfg := models.UNetConfig{Depth: 2, Base: 4}
		s, err := models.New(cfg, gotch.CPU)
		if err != nil {
			return err
		}
		te, err := models.New(cfg, gotch.CPU)
		if err != nil {
			return err
		}
		x := ts.MustRandn([]int64{2, 1, 19, 23}, gotch.Float, gotch.CPU)
		y := ts.MustZeros([]int64{2, 1, 19, 23}, gotch.Float, gotch.CPU)
		for _, preset := range []string{losses.PresetDSKD, losses.PresetDeepSupervision, losses.PresetUNet} {
			obj, err := losses.NewObjective(losses.Config{Preset: preset, DDL: losses.DDLOptions{RawCounts: preset == losses.PresetUNet}})
			if err != nil {
				return err
			}
			step := func(epoch int) error {
				var tOut *models.Output
				if err := engine.NoGrad(func() error {
					tOut, err = te.Forward(x, false)
					return err
				}); err != nil {
					return err
				}
				defer tOut.Drop()
				out, err := s.Forward(x, true)
				if err != nil {
					return err
				}
				defer out.Drop()
				l, _, err := obj.Compute(out, tOut, y, epoch, 4)
				if err != nil {
					return err
				}
				defer l.MustDrop()
				return l.Backward()
			}
			if err := step(0); err != nil { // warm-up allocates gradients
				return err
			}
			before := len(ts.ExistingTensors)
			for i := 0; i < 5; i++ {
				if err := step(i % 4); err != nil {
					return err
				}
			}
			if after := len(ts.ExistingTensors); after != before {
				t.Errorf("%s: %d live tensors before 5 steps, %d after", preset, before, after)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
