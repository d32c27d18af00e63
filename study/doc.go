// Package study trains and compares many runs: a grid of presets ×
// configuration overrides × folds × seeds, with k-fold cross-validation
// over a data set's training images (for DCA1 the ids 1-100; its test ids
// are never read). Run trains what is missing, resumes what was
// interrupted (each run is an ordinary dskd run folder under
// runs/ARM/fold-F_seed-S), and reports: results.csv (one row per run),
// results.md (each arm's mean ± std and its paired difference to a
// baseline arm, with a 95 % percentile bootstrap interval over whole
// folds), study.html and dice_by_arm.png. The grid is saved in study.json,
// so the folder alone resumes and reports (`dskd study --dir D`). With
// Spec.Ensembles it also scores each arm and fold's seed ensemble (the
// mean probability of its seeds' best models) on the held-out fold; with
// Spec.ScoreLast, each run's last-epoch model too, paired with the model
// its validation carve kept.
//
// Model selection never sees the scored images: each run trains on the
// other folds minus an inner validation carve (Config.ValFraction, seeded
// by Spec.SplitSeed, the same for every arm and seed), which alone picks
// the best epoch and the threshold; the held-out fold is only scored.
//
// A run folder whose configuration hash no longer matches the grid is
// refused with the fields that changed, so a result is never reported
// under a configuration it was not trained with.
//
// Layer: study. It imports the training layer and everything below it;
// never a program.
package study
