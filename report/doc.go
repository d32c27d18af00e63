// Package report turns a training run into files a person can look at:
// a metrics CSV, a PNG of the training curves, per-image prediction
// overlays, probability maps and binary masks, and report.html, one
// self-contained page per run (and study.html for a study). It is pure Go
// (no libtorch):
// images come in as data.Image (row-major float32 in [0,1]) and predictions
// as row-major []float32 probabilities of the same W×H grid.
//
// Files:
//
//   - history.go: EpochRecord, one row of a training history, with JSON
//     encoding that writes NaN/±Inf as null and reads null back as NaN.
//   - csv.go: WriteMetricsCSV and WriteMetricsCSVFile.
//   - curves.go: WriteCurves, a 900×400 PNG drawn with gonum.org/v1/plot.
//   - overlay.go: Overlay and WriteOverlayPNG.
//   - maps.go: WriteProbabilityPNG and WriteMaskPNG.
//   - csvread.go: ReadMetricsCSV and ReadMetricsCSVFile (metrics.csv back
//     into records).
//   - split.go: SplitInfo, the run folder's split.json.
//   - html.go, runfolder.go, svg.go, gallery.go, assets/: WriteHTML.
//   - study.go: WriteStudyHTML.
//   - check.go: input validation (sizes, lengths) and error helpers.
//   - atomic.go: the atomic file writer all file outputs go through.
//
// # CSV columns
//
// WriteMetricsCSV writes the header
//
//	epoch,train_loss,<sorted part names>,val_dice,<sorted val score names>,lr,alpha,lambda_ddl,seconds
//
// where part names are the union of EpochRecord.Parts keys over the history
// (e.g. ddl,dice,psdl) and val score names the union of ValScores keys. A
// name missing from a row gives an empty cell, NaN gives an empty cell
// (val_dice of an epoch that was not validated), and other floats use the
// shortest representation that round-trips.
//
// # Curves
//
// WriteCurves draws two side-by-side panels: the training loss (total as a
// thick black line, each part as a thinner coloured line) and the
// validation Dice on a [0,1] axis, both against epoch, with titles, axis
// labels and legends. Non-finite points are skipped.
//
// # report.html
//
// WriteHTML(runDir) reads only files of the run folder, so it works for a
// run that is still going, stopped or crashed: config.json (flattened into
// a key/value table), metrics.csv (charts as inline SVG: all loss terms
// together, each term on its own scale, validation scores with the best
// epoch marked, α and λ_DDL, learning rate; and a per-epoch table),
// split.json (sizes, names, files left out by the data check),
// val_metrics.json and test_metrics.json (the metrics table, pooled and
// per-image mean ± std; one sortable row per image), and overlays/*.png
// (inline, ranked by Dice in the test split, else validation, as worst and
// best). Files older than config.json were left by an earlier run in the
// same folder and are listed as notes instead. The page needs no network:
// styles, the sorting script and images are inline.
//
// # study.html
//
// WriteStudyHTML(path, Study) shows a study runner's arms table as given,
// a plot of every run's score by arm with the arm means, and a sortable
// table of the runs with links to their report.html.
//
// # Overlay colours
//
// The angiogram is drawn in gray, g = round(clamp(v,0,1)*255). A pixel is
// predicted vessel when prob >= threshold, and true vessel when the mask
// value is >= data.MaskThreshold. Tinted pixels are blended per channel as
// round(0.45*g + 0.55*c) (OverlayAlpha = 0.55):
//
//   - with a mask: true positive green (0,255,0), false positive red
//     (255,0,0), false negative blue (0,0,255), true negative plain gray;
//   - without a mask: predicted vessel red (255,0,0).
//
// # Probability and mask maps
//
// WriteProbabilityPNG writes 8-bit gray round(clamp(p,0,1)*255) (NaN as 0);
// WriteMaskPNG writes 255 where p >= threshold and 0 elsewhere.
//
// # Errors and files
//
// Errors start with "report: " followed by the file at fault (or
// "overlay"/"metrics csv" for the in-memory functions). Inputs are
// validated — len(probs) must equal W*H, mask and image sizes must agree,
// histories for curves must be non-empty — and reported as errors, never
// panics; size problems wrap ErrSize. Every file writer creates missing
// parent directories and writes to a temporary file in the target
// directory that is renamed into place, so readers never see a partial
// file.
//
// Layer: foundation (pure Go). It imports only the standard library,
// third-party pure-Go modules and other foundation packages, never
// libtorch, so it builds and tests without it.
package report
