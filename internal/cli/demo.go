package cli

import "github.com/angioseg/dskd/dskd"

// DemoConfig is the configuration of the runs on generated data: a base-16
// U-Net on 128x128 crops, a dozen epochs with a cosine schedule, sized so
// that `make demo` finishes in a few minutes on two CPU cores.
func DemoConfig() dskd.Config {
	c := dskd.Config{Epochs: 12, BatchSize: 4, CropSize: 128, LR: 2e-3}
	c.Model.Base = 16
	c.Schedule.Name = "cosine"
	return c
}
