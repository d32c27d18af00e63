// Package losses implements the training objective of Deep Self-knowledge
// Distillation (METHOD.md, "Losses"): soft Dice, BCE-with-logits, the
// Pixel-wise Self-knowledge Distillation Loss (PSDL), the Deep
// Distribution Loss (DDL), deep supervision, and Objective, which composes
// them by preset for the ablations.
//
// # Shapes and conventions
//
// Every map is a [B, 1, H, W] tensor of LOGITS (B, H, W >= 1, floating
// point; all arguments of one call share dtype and shape). Targets are
// [B, 1, H, W] masks in {0, 1} of the same dtype (PSDL builds soft targets
// itself). Hierarchical lists are ordered coarse to fine, [y_d, ..., y_2,
// y_main], as models.Output.Hierarchy. Every loss returns a 0-dim tensor
// the caller owns (Backward, then Free). Teacher tensors are always
// detached inside: gradients reach the student only. Invalid arguments
// return errors prefixed "losses: ".
//
// # Definitions and defaults
//
//   - Dice: per image 1 - (2·Σp·y + 1)/(Σp + Σy + 1), p = sigmoid(logits),
//     averaged over the batch.
//   - BCEWithLogits: mean over all pixels of the batch.
//   - PixelwiseSelfKD: BCE(student, α·sigmoid(teacher) + (1-α)·y); α = 0 or
//     no teacher gives plain BCE. In Objective α_t = α_T·t/T, α_T = 0.5.
//   - DeepDistribution: each depth's probability map is split into g x g
//     patches (g = 4) by adaptive average pooling bins (any H, W >= g; when
//     g does not divide a side the bins overlap by one pixel, as PyTorch's);
//     per patch the 2-bin distribution softmax(log([f, 1-f] + 1e-6)/τ) of
//     the foreground fraction f (τ = 3; RawCounts uses softmax([fg,
//     area-fg]/τ) on soft counts instead); loss = τ²·Σ_depths mean_{b,m}
//     KL(P^T ‖ P^S). Options: reverse KL, no τ², grid, τ, eps.
//   - DeepSupervision: Σ_i w_i·(Dice + BCE) over the side outputs (all but
//     the main), w_i = 1/(Depth-1) by default.
//   - Objective presets (Objective.Terms lists a preset's terms):
//     "unet" = Dice + λ_PSDL·BCE;
//     "deep-supervision" = unet's terms and λ_DS·DeepSupervision;
//     "psdl" = Dice + λ_PSDL·PSDL;
//     "ddl" = Dice + λ_PSDL·BCE + λ_DDL(t)·DDL;
//     "dskd" (default) = Dice + λ_PSDL·PSDL + λ_DDL(t)·DDL. λs default 1. λ_DDL(t) = λ_DDL·t/T by default (the
//     ramp METHOD.md found stable), or constant, or constant from a start
//     epoch. Epoch t is 0-based; with no teacher (nil, e.g. epoch 0) the
//     distillation terms vanish: α = 0 and no DDL. Config.DeepSupervision
//     adds λ_DS·DeepSupervision to any preset (e.g. DSKD + deep
//     supervision; not one of the paper's arms).
//
// # PyTorch cross-check
//
// testdata/golden/losses.json holds inputs and PyTorch results for every
// loss and preset; the Go tests compare to 1e-5. Regenerate it, from the
// repository root, with Debian's python3-torch (not a pyenv python):
//
//	/usr/bin/python3 tools/golden/losses_golden.py > testdata/golden/losses.json
//
// Run all tensor work on one engine Worker (or inside engine.Run).
//
// Layer: tensors. It imports foundation packages, internal/aten and other
// tensors packages; never the trainer, the study or a program.
package losses
