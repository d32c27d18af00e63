package interop

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/angioseg/dskd/models"
)

// Param is the name and shape of one variable of a models.UNet.
type Param struct {
	Name  string
	Shape []int64
}

// Layout lists the variables of a models.UNet built with cfg (zero fields
// take their defaults): every weight, bias and BatchNorm running statistic,
// in the order of a PyTorch state_dict of interop/pytorch/dskd_unet.py.
// The names are the VarStore's: enc0.conv1.weight, enc0.bn1.running_mean,
// dec0.up.weight, dec0.side.bias, head.weight, ...
func Layout(cfg models.UNetConfig) ([]Param, error) {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return nil, fmt.Errorf("interop: %w", err)
	}
	var ps []Param
	add := func(name string, shape ...int64) { ps = append(ps, Param{name, shape}) }
	conv := func(p string, in, out, k int64, bias bool) {
		add(p+".weight", out, in, k, k)
		if bias {
			add(p+".bias", out)
		}
	}
	bn := func(p string, ch int64) {
		add(p+".weight", ch)
		add(p+".bias", ch)
		add(p+".running_mean", ch)
		add(p+".running_var", ch)
	}
	doubleConv := func(p string, in, out int64) {
		conv(p+".conv1", in, out, 3, false)
		bn(p+".bn1", out)
		conv(p+".conv2", out, out, 3, false)
		bn(p+".bn2", out)
	}
	width := func(k int) int64 { return int64(cfg.Base) << k }
	d := cfg.Depth
	for k := 0; k <= d; k++ {
		in := int64(cfg.InChannels)
		if k > 0 {
			in = width(k - 1)
		}
		doubleConv("enc"+strconv.Itoa(k), in, width(k))
	}
	for j := 0; j < d; j++ {
		k := d - 1 - j
		p := "dec" + strconv.Itoa(j)
		if cfg.Upsample == models.UpsampleTranspose {
			add(p+".up.weight", width(k+1), width(k), 2, 2) // ATen's [in, out, k, k]
			add(p+".up.bias", width(k))
		} else {
			conv(p+".up", width(k+1), width(k), 3, true)
		}
		doubleConv(p, 2*width(k), width(k))
		if j < d-1 {
			conv(p+".side", width(k), 1, 3, true)
		}
	}
	conv("head", width(0), 1, 1, true)
	return ps, nil
}

// InferConfig recovers the UNetConfig of a set of arrays from their names
// and shapes (files written by PyTorch carry no dskd metadata): Depth from
// the encoder stages, Base and InChannels from enc0.conv1.weight, Upsample
// from dec0.up.weight. BatchNorm momentum and epsilon are not stored in
// weights and keep their defaults. The result is then checked against
// Layout by the caller.
func InferConfig(arrays []Array) (models.UNetConfig, error) {
	shapes := make(map[string][]int64, len(arrays))
	for _, a := range arrays {
		shapes[a.Name] = a.Shape
	}
	var cfg models.UNetConfig
	for shapes["enc"+strconv.Itoa(cfg.Depth+1)+".conv1.weight"] != nil {
		cfg.Depth++
	}
	first := shapes["enc0.conv1.weight"]
	if first == nil {
		return cfg, fmt.Errorf("interop: no enc0.conv1.weight among %d arrays (%s): not a dskd U-Net state dict", len(arrays), sampleNames(arrays))
	}
	if len(first) != 4 {
		return cfg, fmt.Errorf("interop: enc0.conv1.weight has shape %v, want [base, in_channels, 3, 3]", first)
	}
	if cfg.Depth == 0 {
		return cfg, fmt.Errorf("interop: only one encoder stage (enc0): a dskd U-Net has depth >= 1")
	}
	cfg.Base, cfg.InChannels = int(first[0]), int(first[1])
	cfg.Upsample = models.UpsampleBilinear
	if up := shapes["dec0.up.weight"]; len(up) == 4 && up[2] == 2 && up[3] == 2 {
		cfg.Upsample = models.UpsampleTranspose
	}
	cfg, err := cfg.WithDefaults()
	cfg.MemoryFormat, cfg.Init = "", "" // not part of a weights file (see Metadata)
	return cfg, err
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
// built with cfg, with their shapes, and valid data. Every difference is
// named (up to 5).
func CheckLayout(cfg models.UNetConfig, arrays []Array) error {
	cfg, err := cfg.WithDefaults()
	if err != nil {
		return fmt.Errorf("interop: %w", err)
	}
	want, err := Layout(cfg)
	if err != nil {
		return err
	}
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
