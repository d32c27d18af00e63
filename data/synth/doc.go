// Package synth generates synthetic X-ray coronary angiograms with exact
// vessel masks, and writes them in the DCA1, XCAD and generic layouts read by
// package data. Everything is deterministic for a given seed on amd64 (other
// architectures may fuse floating-point operations and differ in rare pixels).
//
// An angiogram is built from:
//   - a textured background: base level, multi-octave value noise, vignette,
//     optionally a circular collimator (dark outside the field of view),
//     faint rib bands and a soft heart/diaphragm shadow;
//   - 1–4 branching vessel trees: smooth random-walk centrelines with
//     wandering curvature, radii tapering from ~3–4.5 px (at 300 px) to
//     sub-pixel distal branches, drawn darker than the background by an
//     X-ray-like absorption (thicker = darker, thin branches faint);
//   - distractors that are NOT in the mask: a constant-width catheter-like
//     tube entering from the border, thin straight wire-like lines and small
//     dark blobs;
//   - blur (detector PSF) and signal-dependent noise.
//
// The mask is 1 where a pixel centre lies inside a vessel (distance to the
// centreline <= radius, clipped to the field of view). Vessel fraction is kept
// within [MinVesselFraction, MaxVesselFraction] by re-drawing (deterministically).
//
// Layer: foundation (pure Go). It imports only the standard library,
// third-party pure-Go modules and other foundation packages, never
// libtorch, so it builds and tests without it.
package synth
