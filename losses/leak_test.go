package losses_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
)

// TestNoTensorLeak counts the owned tensor handles not yet freed
// (aten.Live) over repeated training steps (Forward, Compute, Backward):
// every step must free every handle it creates.
func TestNoTensorLeak(t *testing.T) {
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
		sc := aten.NewScope()
		defer sc.Close()
		x := sc.Randn([]int64{2, 1, 19, 23}, gotch.Float, gotch.CPU)
		y := sc.Zeros([]int64{2, 1, 19, 23}, gotch.Float, gotch.CPU)
		require.NoError(t, sc.Err())
		for _, preset := range []losses.Preset{losses.PresetDSKD, losses.PresetDeepSupervision, losses.PresetUNet} {
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
				defer tOut.Free()
				out, err := s.Forward(x, true)
				if err != nil {
					return err
				}
				defer out.Free()
				l, _, err := obj.Compute(out, tOut, y, epoch, 4)
				if err != nil {
					return err
				}
				defer l.Free()
				return losses.Backward(l)
			}
			if err := step(0); err != nil { // warm-up allocates gradients
				return err
			}
			before := aten.Live()
			for i := 0; i < 5; i++ {
				if err := step(i % 4); err != nil {
					return err
				}
			}
			assert.Equal(t, before, aten.Live(), "%s: live tensor handles before 5 steps vs after", preset)
		}
		return nil
	})
	require.NoError(t, err)
}
