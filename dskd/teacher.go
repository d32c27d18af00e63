package dskd

import (
	"fmt"

	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/internal/aten"
	"github.com/angioseg/dskd/models"
)

// selfTeacher is the objective's teacher: a copy of the student as it
// stood at the end of the previous epoch, or (TeacherEMA) an exponential
// moving average of it, updated after every step. For the presets that
// need no teacher, model is nil and every method is a no-op: targets
// returns nil, and the objective sees no teacher.
type selfTeacher struct {
	model   *models.UNet // nil: the objective needs no teacher
	student *models.UNet
	ema     bool
	decay   float64     // EMA decay
	mode    models.Mode // how its BatchNorm normalises (Config.TeacherBN)
	prec    *precision
	ready   bool      // holds a snapshot (false before the end of epoch 0)
	pairs   []emaPair // teacher/student variables, matched on the first EMA update
}

// newSelfTeacher wraps model (nil when the objective needs none).
func newSelfTeacher(model, student *models.UNet, cfg Config, prec *precision) *selfTeacher {
	mode := models.Eval
	if cfg.TeacherBN == TeacherBNBatch {
		mode = models.BatchStats
	}
	return &selfTeacher{model: model, student: student, ema: cfg.Teacher == TeacherEMA, decay: cfg.EMADecay, mode: mode, prec: prec}
}

// exists reports whether the objective has a teacher model.
func (st *selfTeacher) exists() bool { return st.model != nil }

// beginEpoch snapshots the student for epoch (an EMA teacher only once:
// afterwards it follows the student step by step).
func (st *selfTeacher) beginEpoch(epoch int) error {
	if st.model == nil || epoch == 0 || (st.ema && st.ready) {
		return nil
	}
	if err := models.CopyVarStore(st.model.VarStore(), st.student.VarStore()); err != nil {
		return fmt.Errorf("dskd: teacher snapshot: %w", err)
	}
	st.ready = true
	return nil
}

// targets is the teacher's output for x, without autograd, in the run's
// precision; nil while there is no snapshot. The caller Frees it.
func (st *selfTeacher) targets(x *aten.Tensor) (*models.Output, error) {
	if !st.ready {
		return nil, nil
	}
	var out *models.Output
	err := engine.NoGrad(func() error {
		var err error
		out, err = st.prec.forward(func() (*models.Output, error) { return st.model.ForwardMode(x, st.mode) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dskd: teacher forward: %w", err)
	}
	return out, nil
}

// afterStep moves an EMA teacher towards the student.
func (st *selfTeacher) afterStep() error {
	if !st.ema || !st.ready {
		return nil
	}
	return st.emaUpdate()
}

// emaPair is one teacher variable and the student variable it follows
// (borrowed handles; the models keep their VarStores alive).
type emaPair struct{ teacher, student *aten.Tensor }

// emaPairs matches teacher and student variables by name, once per run:
// the VarStores never change their variables after the models are built.
func (st *selfTeacher) emaPairs() ([]emaPair, error) {
	if st.pairs != nil {
		return st.pairs, nil
	}
	sv := map[string]*aten.Tensor{}
	for _, v := range aten.Vars(st.student.VarStore()) {
		sv[v.Name] = v.T
	}
	for _, v := range aten.Vars(st.model.VarStore()) {
		s, ok := sv[v.Name]
		if !ok {
			return nil, fmt.Errorf("dskd: EMA: student has no %q", v.Name)
		}
		st.pairs = append(st.pairs, emaPair{teacher: v.T, student: s})
	}
	return st.pairs, nil
}

// emaUpdate moves every teacher variable (weights and BN statistics)
// towards the student's: T ← d·T + (1−d)·S.
func (st *selfTeacher) emaUpdate() error {
	pairs, err := st.emaPairs()
	if err != nil {
		return err
	}
	return engine.NoGrad(func() error {
		s := aten.NewScope()
		defer s.Close()
		for _, p := range pairs {
			if p.teacher.IsFloat() {
				s.LerpInPlace(p.teacher, p.student, 1-st.decay)
			} else {
				s.CopyInPlace(p.teacher, p.student) // counters such as BN's num_batches_tracked
			}
		}
		if err := s.Err(); err != nil {
			return fmt.Errorf("dskd: EMA update: %w", err)
		}
		return nil
	})
}
