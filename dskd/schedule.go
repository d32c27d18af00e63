package dskd

import (
	"math"
	"strings"

	"github.com/angioseg/dskd/internal/option"
)

// ScheduleName is a learning-rate schedule (ScheduleConfig.Name). Reading
// it ignores case.
type ScheduleName string

// Schedules of ScheduleConfig.Name.
const (
	ScheduleStep     ScheduleName = "step"     // lr·gamma^⌊epoch/step_size⌋ (the default)
	ScheduleCosine   ScheduleName = "cosine"   // cosine from lr to min_lr over the run
	SchedulePoly     ScheduleName = "poly"     // min_lr + (lr-min_lr)·(1-epoch/epochs)^power
	ScheduleConstant ScheduleName = "constant" // lr throughout
)

// ScheduleConfig is the learning-rate schedule, evaluated once per epoch.
// The zero value is StepLR(step 10 epochs, gamma 0.3), the reference.
type ScheduleConfig struct {
	Name     ScheduleName `json:"name,omitempty"`      // ScheduleStep (default), ScheduleCosine, SchedulePoly or ScheduleConstant
	StepSize int          `json:"step_size,omitempty"` // step: epochs between decays, >= 1; default 10
	Gamma    float64      `json:"gamma,omitempty"`     // step: decay factor, > 0; default 0.3
	Power    float64      `json:"power,omitempty"`     // poly: exponent, > 0; default 0.9
	MinLR    float64      `json:"min_lr,omitempty"`    // cosine and poly: final learning rate, >= 0; default 0
}

// scheduleErr prefixes the errors of ScheduleConfig's options.
const scheduleErr = "dskd: schedule"

// WithDefaults fills zero fields and validates; an invalid option is an
// error naming it ("dskd: schedule: name ...").
func (s ScheduleConfig) WithDefaults() (ScheduleConfig, error) {
	option.Default(&s.Name, ScheduleStep)
	s.Name = ScheduleName(strings.ToLower(string(s.Name)))
	option.Default(&s.StepSize, 10)
	option.Default(&s.Gamma, 0.3)
	option.Default(&s.Power, 0.9)
	if err := option.OneOf(scheduleErr, "name", s.Name, ScheduleStep, ScheduleCosine, SchedulePoly, ScheduleConstant); err != nil {
		return s, err
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case s.StepSize < 1:
		return s, option.Errorf(scheduleErr, "step_size", "%d: must be >= 1", s.StepSize)
	case !(s.Gamma > 0) || !finite(s.Gamma):
		return s, option.Errorf(scheduleErr, "gamma", "%g: must be a finite number > 0", s.Gamma)
	case !(s.Power > 0) || !finite(s.Power):
		return s, option.Errorf(scheduleErr, "power", "%g: must be a finite number > 0", s.Power)
	case !(s.MinLR >= 0) || !finite(s.MinLR):
		return s, option.Errorf(scheduleErr, "min_lr", "%g: must be a finite number >= 0", s.MinLR)
	}
	return s, nil
}

// LR is the learning rate of epoch (0-based) out of total, from base.
func (s ScheduleConfig) LR(base float64, epoch, total int) float64 {
	switch s.Name {
	case ScheduleStep:
		return base * math.Pow(s.Gamma, float64(epoch/s.StepSize))
	case ScheduleCosine:
		return s.MinLR + (base-s.MinLR)*(1+math.Cos(math.Pi*float64(epoch)/float64(total)))/2
	case SchedulePoly:
		return s.MinLR + (base-s.MinLR)*math.Pow(1-float64(epoch)/float64(total), s.Power)
	}
	return base
}
