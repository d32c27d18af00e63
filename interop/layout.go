package interop

import (
	"fmt"
	"strings"

	"github.com/angioseg/dskd/models"
)

// InferConfig recovers the UNetConfig of a set of arrays from their names
// and shapes (files written by PyTorch carry no dskd metadata), reading
// the names off models.Describe: Depth from the encoder stages present,
// Base and InChannels from the first encoder convolution's weight
// [base, in_channels, 3, 3], Upsample from the first decoder stage's up
// weight. BatchNorm momentum and epsilon are not stored in weights and
// keep their defaults. The caller then checks the arrays with CheckLayout.
func InferConfig(arrays []Array) (models.UNetConfig, error) {
	shapes := make(map[string][]int64, len(arrays))
	for _, a := range arrays {
		shapes[a.Name] = a.Shape
	}
	var cfg models.UNetConfig
	deepest, err := models.Describe(models.UNetConfig{Depth: models.MaxDepth})
	if err != nil {
		return cfg, fmt.Errorf("interop: %w", err)
	}
	stageWeight := func(k int) string { return deepest.Encoder[k].Conv1.Params()[0].Name }
	first := shapes[stageWeight(0)]
	switch {
	case first == nil:
		return cfg, fmt.Errorf("interop: no %s among %d arrays (%s): not a dskd U-Net state dict", stageWeight(0), len(arrays), sampleNames(arrays))
	case len(first) != 4:
		return cfg, fmt.Errorf("interop: %s has shape %v, want [base, in_channels, 3, 3]", stageWeight(0), first)
	}
	for cfg.Depth < models.MaxDepth && shapes[stageWeight(cfg.Depth+1)] != nil {
		cfg.Depth++
	}
	if cfg.Depth == 0 {
		return cfg, fmt.Errorf("interop: no %s: a dskd U-Net has at least two encoder stages (depth >= 1)", stageWeight(1))
	}
	cfg.Base, cfg.InChannels = int(first[0]), int(first[1])
	// The upsampling whose first up weight has the shape found (bilinear
	// when none has: CheckLayout then names the difference).
	for _, up := range []models.Upsample{models.UpsampleTranspose, models.UpsampleBilinear} {
		cfg.Upsample = up
		arch, err := models.Describe(cfg)
		if err != nil {
			return cfg, fmt.Errorf("interop: %w", err)
		}
		if w := arch.Decoder[0].Up.Params()[0]; sameShape(shapes[w.Name], w.Shape) {
			break
		}
	}
	if cfg, err = cfg.WithDefaults(); err != nil {
		return cfg, fmt.Errorf("interop: %w", err)
	}
	cfg.MemoryFormat, cfg.Init = "", "" // not part of a weights file (see Metadata)
	return cfg, nil
}

// sampleNames lists the first few array names for error messages.
func sampleNames(arrays []Array) string {
	var names []string
	for i, a := range arrays {
		if i == 4 {
			names = append(names, "...")
			break
		}
		names = append(names, a.Name)
	}
	return strings.Join(names, ", ")
}

// CheckLayout verifies that arrays hold exactly the variables of a UNet
// built with cfg (models.Describe(cfg).Params), with their shapes, and
// valid data; the order does not matter. Every difference is
// named (up to 5).
func CheckLayout(cfg models.UNetConfig, arrays []Array) error {
	arch, err := models.Describe(cfg)
	if err != nil {
		return fmt.Errorf("interop: %w", err)
	}
	cfg, want := arch.Config, arch.Params()
	have := make(map[string]Array, len(arrays))
	for _, a := range arrays {
		if err := a.Validate(); err != nil {
			return err
		}
		if _, dup := have[a.Name]; dup {
			return fmt.Errorf("interop: array %q appears twice", a.Name)
		}
		have[a.Name] = a
	}
	var problems []string
	for _, p := range want {
		a, ok := have[p.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing %s %v", p.Name, p.Shape))
		case !sameShape(a.Shape, p.Shape):
			problems = append(problems, fmt.Sprintf("%s has shape %v, want %v", p.Name, a.Shape, p.Shape))
		}
		delete(have, p.Name)
	}
	for _, a := range arrays {
		if _, extra := have[a.Name]; extra {
			problems = append(problems, "unexpected "+a.Name)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	if len(problems) > 5 {
		problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
	}
	return fmt.Errorf("interop: the arrays do not fit a U-Net with depth %d, base %d, %d input channel(s), %s upsampling: %s",
		cfg.Depth, cfg.Base, cfg.InChannels, cfg.Upsample, strings.Join(problems, "; "))
}
