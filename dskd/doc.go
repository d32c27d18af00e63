// Package dskd trains coronary-artery segmentation models with Deep
// Self-knowledge Distillation (M. Lin, arXiv 2509.03173): a U-Net with a
// side output on every decoder stage is taught by its own snapshot from the
// end of the previous epoch, through a region-level loss on every depth
// (DDL) and a pixel-level one on the final output (PSDL), besides Dice.
// The method and every default are described in docs/METHOD.md.
//
// # Training
//
//	split, _ := dca1.ConventionalSplit()     // from package data
//	res, err := dskd.Train(ctx, dskd.Config{OutDir: "runs/a"}, split, dskd.Options{})
//	fmt.Println(res.Test)                      // per-image mean ± std and pooled
//
// Config's zero value is METHOD.md's: 50 epochs, batch 4, 256x256 random
// crops with flips, 90° rotations and mild intensity jitter, per-image
// z-score normalisation, AdamW (lr 1e-3, weight decay 1e-5), StepLR(10,
// 0.3), full DSKD with the previous-epoch teacher. Preset selects the
// ablations (unet, deep-supervision, psdl, ddl, dskd); Teacher "ema" swaps
// the snapshot for an exponential moving average.
//
// Each epoch: the teacher becomes a frozen copy (eval mode, no gradients)
// of the student's weights and BatchNorm statistics as they stood at the
// end of the previous epoch (epoch 0 has none); batches come from a
// seeded, prefetching iterator; the objective knows the epoch (α_t ramp,
// λ_DDL ramp); the optimizer steps; the student is then evaluated on the
// validation split (full images, padded, threshold 0.5) and a checkpoint is
// written. Hooks (OnStep, OnEpochEnd) let callers log or stop; returning
// ErrStop ends the run cleanly.
//
// # The run folder
//
//	config.json           the effective configuration
//	split.json            the names of the train, validation and test samples, and any left out
//	metrics.csv           one row per epoch: losses, validation scores, lr, α, λ_DDL, seconds
//	curves.png            training loss and validation Dice per epoch
//	report.html           one self-contained page of all of it (report.WriteHTML)
//	checkpoints/epoch-N/  model.pt, teacher.pt, optim.pt, state.json (newest KeepLast kept)
//	checkpoints/best/     the best-on-validation model
//	val_metrics.json      the best model on validation
//	test_metrics.json     the best model on test, with test_per_image.csv
//	overlays/             the worst and best test images by Dice (else validation): TP green, FP red, FN blue
//	threshold.json        the threshold picked on validation, if asked
//
// Checkpoints are written into a temporary folder and renamed, so a kill
// never leaves a broken one. A checkpoint holds everything needed to
// continue: Resume(runDir) continues from the newest one and yields the
// same trajectory as a run that was never interrupted (tested bit for bit).
// That is why the optimizers are implemented in Go (package optim): gotch
// cannot save libtorch's optimizer state.
//
// A loss that turns NaN or infinite stops the run with an error naming the
// epoch, the step and the last good checkpoint.
//
// Before the first step every image and mask of the split is decoded
// (data.CheckSplit, in parallel): unusable files stop the run at once
// with one error listing each of them, or, with Config.SkipBad, are left
// out and listed in split.json. report.html is written when the run ends,
// also after an error, from what the folder holds.
//
// On a terminal, progress within an epoch is one line redrawn in place
// (steps, mean loss, time left in the epoch and the run); otherwise a
// plain log line at most every 10 s (Config.ProgressEvery).
//
// # Stops and faults
//
// A run folder has one writer (package runlock). A cancelled context
// stops a run between two steps with a checkpoint of that point
// (*Interrupted); Resume continues from the newest checkpoint whose
// checksums verify. Every file is written from Go, atomically, so a full
// disk is an error naming the file, never an abort.
//
// # Prediction
//
// LoadPredictor(runDir) loads the best checkpoint; Predict returns a
// probability map for an image of any size (padded to a multiple of
// 2^depth, optionally averaged over flips, and tiled with overlap for
// images larger than InferOptions.TileSize); PredictFile writes the
// probability map, the binary mask and an overlay as PNG; Evaluate scores
// labelled samples. An Ensemble (LoadEnsemble, NewEnsemble) does the same
// with the mean probability of several predictors.
//
// # Studies
//
// Package study trains and compares grids of runs (presets × overrides ×
// folds × seeds) on top of Train and Resume. Runs started at once in one
// process share libtorch's process-wide generator: Train draws each run's
// initial weights right after seeding it, under a lock.
//
// # Threads
//
// All tensor work of a run happens on one goroutine locked to its OS
// thread (engine.Worker): libtorch's grad mode is thread-local, and a
// migrating goroutine silently loses gradients. A test repeats a short
// run in 20 processes and requires bit-identical weights.
//
// Layer: training. It imports the foundation, libtorch and tensors layers;
// never the study or a program.
package dskd
