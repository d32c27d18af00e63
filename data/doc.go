// Package data loads coronary angiography segmentation datasets from disk and
// serves them as plain float32 batches for training and evaluation. It is pure
// Go (no libtorch); conversion to tensors happens in the trainer.
//
// # Pixel values
//
// Images decode (PNG, JPEG, PGM P5/P2; 8- or 16-bit; format detected from the
// file content, not its extension) to one-channel float32 in [0,1]:
// value = pixel / format maximum (PGM maxval, 255 for 8-bit PNG/JPEG, 65535 for
// 16-bit PNG). Colour images become ITU-R BT.601 luma 0.299R+0.587G+0.114B
// (alpha ignored), logged at debug level. Vessels are darker than background.
//
// # Masks
//
// Masks are binarised to exactly 0 (background) and 1 (vessel) by BinarizeMask:
//   - foreground iff pixel >= MaskThreshold (0.5) × format maximum;
//   - values strictly between 0 and the maximum (anti-aliased, resampled
//     masks) are thresholded the same way and a warning with their count is logged;
//   - a mask whose largest value is 1 in a format whose maximum is above 1
//     (0/1 encoding) uses every non-zero pixel as foreground, logged at info;
//   - an all-zero mask is valid (image without vessels), logged at debug;
//   - a mask with non-zero values that all fall below the threshold (e.g.
//     0/255 saved in a 16-bit file) is an error rather than a silent empty mask.
//
// Image and mask sizes must match (checked by LoadSample).
//
// # Layouts
//
//   - DCA1 (OpenDCA1): one folder of N.pgm images and N_gt.pgm masks
//     (official Database_134_Angiograms). ConventionalSplit: ids 1–100 train,
//     101–134 test; SplitByIDs takes custom id lists. Incomplete pairs are an
//     error naming each file; other file names are skipped (debug log).
//   - XCAD (OpenXCAD): root/test/images and root/test/masks hold the labelled
//     images with identical base names; root/train/ (recursively, optional)
//     holds unlabelled frames (Sample.MaskPath empty). Splits: KFold (seeded,
//     default k = 5 by convention, fold index 0..k-1) and FixedSplit (first 100
//     by name train, last 26 test; same proportion for other counts).
//   - Generic (OpenFolder): root/images and root/masks paired by base name;
//     extensions may differ (a.jpg with a.png).
//
// In every layout, files whose extension is not .png/.jpg/.jpeg/.pgm are
// skipped with a debug log; an image file that fails to decode is an error
// when it is loaded. Missing masks or images, ambiguous base names and empty
// folders are errors naming the files. Loaders only list files; decoding
// happens in LoadSample and the Iterator.
//
// # Splits
//
// KFold shuffles with the seed, then cuts k contiguous folds whose sizes
// differ by at most one; the k test folds are disjoint and cover all samples.
// Split.WithValidation moves a seeded fraction or count of Train into Val;
// Test is never touched, so Val never overlaps Test.
//
// # Augmentation and normalisation
//
// AugmentConfig's zero value does nothing; DefaultAugment(crop) is the one
// training default of dskd (the trainer, examples and benchmarks use it). Geometric steps (small rotation/scale, flips, 90° rotations, crop)
// are applied identically to image and mask (bilinear for the image, nearest
// for the mask, borders clamped for both); brightness, contrast and gamma touch
// the image only and the result is clipped to [0,1]. Normalization (NormNone,
// NormZScore, NormMinMax) is applied per image after augmentation, never to masks.
//
// # Batches and determinism
//
// A Batch holds N samples in NCHW layout with C = 1: Images[n*H*W + y*W + x];
// Masks has the same layout with values 0/1, or is nil for unlabelled samples;
// Names lists Sample.Name per sample. All samples of a batch share H and W,
// so batches larger than 1 need equal image sizes or Augment.CropSize.
//
// NewIterator prepares one epoch on IteratorConfig.Workers goroutines,
// at most Prefetch batches ahead of the consumer. The batches (order,
// contents, augmentation) depend only on the samples, Seed, epoch and the
// other config fields, never on Workers, Prefetch or scheduling: the epoch
// permutation is seeded by (Seed, epoch) and each sample's augmentation RNG by
// (Seed, epoch, index of the sample in the input slice). Decode errors end
// the epoch and are returned by Err; Close stops all goroutines. Sequential
// iterates a validation or test split one full-size sample at a time without
// augmentation.
//
// # Checking a split
//
// CheckSplit decodes every image and mask of a Split with LoadSample, on
// all cores, and returns a *CheckError listing every unusable sample (its
// split, name and the error naming the file), so that a trainer can stop
// before its first step rather than when an epoch reaches the file;
// Split.Without drops those samples. Measured on 2 shared cores (Intel Xeon,
// other jobs running): about 1,000 files/s for 300x300 8-bit PGM, about
// 250 files/s for 512x512 PNG.
//
//	go test -run XXX -bench CheckSplit ./data/
//
// # Errors and logging
//
// Library code never panics or exits on user input. Errors start with
// "data: " and name the file, size or option at fault. Conversions and
// skipped files are logged through IteratorConfig.Logger when an Iterator
// loads them (the trainer passes its own), otherwise through the logger set
// with SetLogger (default: discard); each mask warning at most once per file.
//
// # Synthetic data
//
// Package data/synth generates X-ray-like angiograms with exact masks (also
// via go run ./cmd/dskd-synth); the repository's testdata/ is produced by it
// (go generate ./data/synth) and a test keeps the two in sync. Measured vessel
// fractions: real DCA1 training masks (97 pairs) mean 5.6 %, range 2.7–10.9 %;
// synthetic masks are kept within 3.5–13 % (60 seeds: mean 6.8 %, range 3.8–9.9 % at
// 300x300; mean 6.7 %, range 4.1–9.5 % at 512x512).
//
// # Performance
//
// BenchmarkIterator512 (16 synthetic 512x512 PNGs, batch 4, DefaultAugment(256):
// crop 256, flips, 90° and ±10° rotations, ±10 % scale, intensity jitter,
// z-score) on 2 cores (AMD EPYC, GOMAXPROCS=2, default workers):
// about 19.7 batches/s.
//
//	go test -run XXX -bench BenchmarkIterator512 -benchtime 40x ./data/
//
// Layer: foundation (pure Go). It imports only the standard library,
// third-party pure-Go modules and other foundation packages, never
// libtorch, so it builds and tests without it.
package data
