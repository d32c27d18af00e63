package losses_test

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
	"github.com/angioseg/dskd/optim"
)

// One DSKD training step at epoch 3 of 10: the teacher is a snapshot of the
// student taken with CopyVarStore, run in eval mode without gradients.
func ExampleObjective_Compute() {
	err := engine.Run(func() error {
		engine.SetThreads(0)
		engine.ManualSeed(42)
		cfg := models.UNetConfig{Depth: 3, Base: 4}
		student, err := models.New(cfg, gotch.CPU)
		if err != nil {
			return err
		}
		teacher, err := models.New(cfg, gotch.CPU)
		if err != nil {
			return err
		}
		if err := models.CopyVarStore(teacher.VarStore(), student.VarStore()); err != nil {
			return err
		}
		obj, err := losses.NewObjective(losses.Config{}) // full DSKD, defaults
		if err != nil {
			return err
		}
		opt, err := optim.New(optim.Config{}, student.VarStore()) // AdamW, weight decay 1e-5
		if err != nil {
			return err
		}
		defer opt.Free()
		// A random batch of two 32x32 images and masks (~20% foreground).
		rng := rand.New(rand.NewSource(42))
		img := make([]float32, 2*32*32)
		mask := make([]float32, len(img))
		for i := range img {
			img[i] = float32(rng.NormFloat64())
			if rng.Float64() > 0.8 {
				mask[i] = 1
			}
		}
		x, err := models.Input(img, []int64{2, 1, 32, 32}, gotch.CPU)
		if err != nil {
			return err
		}
		defer x.Free()
		y, err := models.Input(mask, []int64{2, 1, 32, 32}, gotch.CPU)
		if err != nil {
			return err
		}
		defer y.Free()

		var tOut *models.Output
		if err := engine.NoGrad(func() error {
			tOut, err = teacher.Forward(x, false)
			return err
		}); err != nil {
			return err
		}
		defer tOut.Free()
		sOut, err := student.Forward(x, true)
		if err != nil {
			return err
		}
		defer sOut.Free()
		loss, bd, err := obj.Compute(sOut, tOut, y, 3, 10)
		if err != nil {
			return err
		}
		defer loss.Free()
		if err := opt.ZeroGrad(); err != nil {
			return err
		}
		if err := losses.Backward(loss); err != nil {
			return err
		}
		if err := opt.Step(1e-3); err != nil {
			return err
		}
		fmt.Printf("alpha_t %.2f, lambda_DDL %.2f, finite loss %v\n", bd.Alpha, bd.LambdaDDL, !math.IsNaN(bd.Total) && bd.Total > 0)
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// alpha_t 0.15, lambda_DDL 0.30, finite loss true
}

// backward runs autograd from loss into the parameters' gradients.
