// Package metrics scores binary vessel segmentations of X-ray angiograms
// (Dice, IoU, Accuracy, Sensitivity, Specificity, Precision, AUC-ROC and
// clDice) with every convention stated, so that figures from different
// papers and runs can be compared honestly. It is pure Go and does not
// need libtorch.
//
// # Inputs
//
// An image is a row-major H x W []float32 of probabilities (probs) and
// a []float32 mask of the same length holding 0/1 (what the trainer
// produces). A mask or field-of-view (FOV) pixel is "on" when its value
// is >= 0.5; anything else, NaN included, is off. A pixel is predicted
// vessel when p >= threshold (DefaultThreshold = 0.5; so p == 0.5 is
// vessel). The FOV is optional (nil means the whole image); pixels
// outside it are ignored by every metric, including AUC and clDice
// (cleared before skeletonizing). Length or shape mismatches, NaN
// probabilities inside the FOV and NaN thresholds return errors that
// start with "metrics: "; no function panics on user input.
//
// # Empty denominators
//
// Dice = 2TP/(2TP+FP+FN), IoU = TP/(TP+FP+FN), Accuracy =
// (TP+TN)/(TP+FP+TN+FN), Sensitivity = TP/(TP+FN), Specificity =
// TN/(TN+FP), Precision = TP/(TP+FP). A 0/0 follows the ZeroDivision
// policy: ZeroDivOne (default, as segmentation_models_pytorch's
// zero_division=1.0: an image with no vessel and no predicted vessel
// scores Dice = IoU = Sensitivity = Precision = 1, nothing was missed and
// nothing was wrongly found), ZeroDivZero (scikit-learn's
// zero_division=0) or ZeroDivNaN (MONAI-like: the image is left out of
// per-image means). Only the 0/0 case is affected: nothing predicted on
// an image that has vessels gives Precision = 1 but Dice = Sensitivity =
// 0 under ZeroDivOne.
//
// # Per-image versus pooled
//
// Accumulator reports both. Per-image: each metric is computed on each
// image, then averaged; NaN values (AUC of a one-class image, 0/0 under
// ZeroDivNaN) are skipped and Summary.N says how many images entered.
// The spread is the sample standard deviation (divisor n-1, as pandas
// and R report; NaN for fewer than two images), not numpy's default
// population std. Pooled: confusion counts (and clDice skeleton counts)
// are summed over images and the metric is computed once; pooled AUC
// ranks all in-FOV pixels of all images together. Pooled scores weight
// images by their pixel count; per-image means weight images equally.
//
// # AUC
//
// AUC is exact: the Mann–Whitney U statistic over all positive/negative
// pixel pairs with average ranks for ties, i.e. a tie counts 1/2,
// divided by |pos|·|neg|. Scores are radix-sorted (O(n)). It is NaN when
// the counted pixels hold one class only (no vessel, or all vessel), and
// such images are skipped in the per-image mean. The Accumulator keeps
// every in-FOV score (4 bytes per pixel: 126 images of 512x512 is 132 MB,
// plus about twice that transiently while Result sorts)
// for an exact pooled AUC; WithAUCHistogram switches to a ROCHistogram
// (equal-width bins over [0,1], out-of-range values clamped) whose
// estimate counts same-bin positive/negative pairs as ties, so its error
// is at most half the fraction of pairs sharing a bin; that bound is
// computed from the data and reported as Result.AUCErrorBound.
//
// # clDice
//
// clDice (Shit et al. 2021) = 2·Tprec·Tsens/(Tprec+Tsens) with Tprec =
// |S(P)∩V_L|/|S(P)| and Tsens = |S(L)∩V_P|/|S(L)|, where S is the
// Zhang–Suen thinning (Skeletonize; 8-connected one-pixel-wide
// skeleton, outside of the image is background). An empty skeleton makes
// Tprec or Tsens a 0/0 that follows ZeroDivision; if Tprec+Tsens = 0 the
// score is 0. Plain Zhang–Suen erases an isolated 2x2 block completely;
// that is kept as is (documented, tested) rather than patched.
//
// # Thresholds
//
// Every score except AUC depends on the threshold. Tune it only on a
// validation split with SelectThresholdOnValidation (Dice by default,
// pooled counts by default, ties to the lowest threshold) and then apply
// it, fixed, to the test set: a threshold chosen on the test set inflates
// the reported numbers.
//
// # Output
//
// Result.String prints an aligned table (metric, pooled, mean, std, n);
// Result marshals to JSON with lower-case snake_case keys and NaN as
// null; WriteCSV writes "metric,pooled,mean,std" and WritePerImageCSV one
// row per image (NaN written as NaN).
//
// Layer: foundation (pure Go). It imports only the standard library,
// third-party pure-Go modules and other foundation packages, never
// libtorch, so it builds and tests without it.
package metrics
