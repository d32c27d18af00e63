package dskd

import (
	"fmt"
	"math"
	"strings"
)

// ScheduleConfig is the learning-rate schedule, evaluated once per epoch.
// The zero value is StepLR(step 10 epochs, gamma 0.3), the reference.
type ScheduleConfig struct {
	Name     string  `json:"name,omitempty"`      // "step" (default), "cosine", "poly" or "constant"
	StepSize int     `json:"step_size,omitempty"` // step: epochs between decays; default 10
	Gamma    float64 `json:"gamma,omitempty"`     // step: decay factor; default 0.3
	Power    float64 `json:"power,omitempty"`     // poly: exponent; default 0.9
	MinLR    float64 `json:"min_lr,omitempty"`    // cosine and poly: final learning rate; default 0
}

// WithDefaults fills zero fields and validates.
func (s ScheduleConfig) WithDefaults() (ScheduleConfig, error) {
	if s.Name == "" {
		s.Name = "step"
	}
	s.Name = strings.ToLower(s.Name)
	if s.StepSize == 0 {
		s.StepSize = 10
	}
	if s.Gamma == 0 {
		s.Gamma = 0.3
	}
	if s.Power == 0 {
		s.Power = 0.9
	}
	switch {
	case s.Name != "step" && s.Name != "cosine" && s.Name != "poly" && s.Name != "constant":
		return s, fmt.Errorf("dskd: schedule %q: want step, cosine, poly or constant", s.Name)
	case s.StepSize < 1 || s.Gamma <= 0 || s.Power <= 0 || s.MinLR < 0:
		return s, fmt.Errorf("dskd: schedule %+v: step_size >= 1, gamma > 0, power > 0, min_lr >= 0", s)
	}
	return s, nil
}

// LR is the learning rate of epoch (0-based) out of total, from base.
func (s ScheduleConfig) LR(base float64, epoch, total int) float64 {
	switch s.Name {
	case "step":
		return base * math.Pow(s.Gamma, float64(epoch/s.StepSize))
	case "cosine":
		return s.MinLR + (base-s.MinLR)*(1+math.Cos(math.Pi*float64(epoch)/float64(total)))/2
	case "poly":
		return s.MinLR + (base-s.MinLR)*math.Pow(1-float64(epoch)/float64(total), s.Power)
	}
	return base
}
