package models_test

import (
	"fmt"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/models"
	"github.com/sugarme/gotch"
)

// Build a small U-Net and run it in eval mode on an odd-sized image.
func ExampleNew() {
	err := engine.Run(func() error {
		engine.ManualSeed(42)
		m, err := models.New(models.UNetConfig{Depth: 3, Base: 8}, gotch.CPU)
		if err != nil {
			return err
		}
		x, err := models.Input(make([]float32, 2*45*61), []int64{2, 1, 45, 61}, gotch.CPU)
		if err != nil {
			return err
		}
		defer x.Free()
		return engine.NoGrad(func() error {
			out, err := m.Forward(x, false)
			if err != nil {
				return err
			}
			defer out.Free()
			fmt.Println(m.Name(), "depth", m.Depth(), "parameters", m.NumParameters())
			for i, h := range out.Hierarchy {
				fmt.Println(i, h.Shape())
			}
			fmt.Println("main is last:", out.Main == out.Hierarchy[len(out.Hierarchy)-1])
			return nil
		})
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// unet depth 3 parameters 134907
	// 0 [2 1 45 61]
	// 1 [2 1 45 61]
	// 2 [2 1 45 61]
	// main is last: true
}
