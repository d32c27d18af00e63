package losses_test

import (
	"fmt"
	"math"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/losses"
	"github.com/angioseg/dskd/models"
	"github.com/sugarme/gotch"
	"github.com/sugarme/gotch/nn"
	"github.com/sugarme/gotch/ts"
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
		opt, err := nn.NewAdamWConfig(0.9, 0.999, 1e-5).Build(student.VarStore(), 1e-3)
		if err != nil {
			return err
		}
		x := ts.MustRandn([]int64{2, 1, 32, 32}, gotch.Float, gotch.CPU)
		y := ts.MustRand([]int64{2, 1, 32, 32}, gotch.Float, gotch.CPU).MustGt(ts.FloatScalar(0.8), true).MustTotype(gotch.Float, true)
		defer x.MustDrop()
		defer y.MustDrop()

		var tOut *models.Output
		if err := engine.NoGrad(func() error {
			tOut, err = teacher.Forward(x, false)
			return err
		}); err != nil {
			return err
		}
		defer tOut.Drop()
		sOut, err := student.Forward(x, true)
		if err != nil {
			return err
		}
		defer sOut.Drop()
		loss, bd, err := obj.Compute(sOut, tOut, y, 3, 10)
		if err != nil {
			return err
		}
		defer loss.MustDrop()
		if err := opt.ZeroGrad(); err != nil {
			return err
		}
		if err := loss.Backward(); err != nil {
			return err
		}
		if err := opt.Step(); err != nil {
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
