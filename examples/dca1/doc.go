// Command dca1 trains and evaluates a model on DCA1 (Cervantes-Sanchez et al.,
// 2019: 134 angiograms, 300x300 PGM, N.pgm with ground truth N_gt.pgm),
// written on dskd's public API only: open the data set, split it,
// configure, dskd.Train, print the test metrics, predict one image.
//
//	go run ./examples/dca1 --data /path/to/Database_134_Angiograms
//	go run ./examples/dca1 --data dca1-train      # a folder with the training ids only
//	go run ./examples/dca1                        # generated data
//
// The conventional split trains on ids 1-100 (the validation split is
// carved from them) and tests on 101-134. The configuration is the shipped
// DCA1 recipe, examples/dca1/recipe.json: the best arm measured, deep
// supervision (docs/results/: over 5 folds × 3 seeds at 80 epochs it is
// ahead of the plain U-Net and of DSKD on top of deep supervision; DSKD as
// specified is below the U-Net), trained 80 epochs and evaluated with
// test-time augmentation over flips and 90° turns: 0.7777 cross-validated
// pooled Dice. --config replaces it, e.g. with "loss": {"preset": "dskd"}
// for the method as the paper describes it. For every training option from
// the command line, use `dskd train` (cmd/dskd).
//
// Layer: programs, the top. It may import any runtime layer; nothing
// imports it.
package main
