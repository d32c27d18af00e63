package dskd

import (
	"path/filepath"
)

// saveCheckpoint writes everything a resume needs into the checkpoint
// folder dir, atomically.
func (t *trainer) saveCheckpoint(dir string) error {
	st := t.state
	st.Scaler = t.prec.state()
	st.Teacher = t.teacher.exists() && t.teacher.ready
	return writeAtomicDir(dir, func(tmp string) error {
		if err := t.student.Save(filepath.Join(tmp, modelFile)); err != nil {
			return err // writeAtomicDir names the package
		}
		if st.Teacher {
			if err := t.teacher.model.Save(filepath.Join(tmp, teacherFile)); err != nil {
				return err // writeAtomicDir names the package
			}
		}
		if err := t.opt.Save(filepath.Join(tmp, optimFile)); err != nil {
			return err // writeAtomicDir names the package
		}
		var err error
		if st.Files, err = fileHashes(tmp); err != nil {
			return err
		}
		return writeJSON(filepath.Join(tmp, stateFile), st) // last: it vouches for the others
	})
}

// saveBest writes the best model so far (no teacher, no optimizer).
func (t *trainer) saveBest() error {
	st := t.state
	st.Teacher = false
	return writeAtomicDir(filepath.Join(t.cfg.OutDir, checkpointsDir, bestDir), func(tmp string) error {
		if err := t.student.Save(filepath.Join(tmp, modelFile)); err != nil {
			return err // writeAtomicDir names the package
		}
		var err error
		if st.Files, err = fileHashes(tmp); err != nil {
			return err
		}
		return writeJSON(filepath.Join(tmp, stateFile), st)
	})
}
