package dskd

import (
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/rs/zerolog"

	"github.com/angioseg/dskd/internal/progress"
	"github.com/angioseg/dskd/report"
)

// runLogger is opts.Logger, or ConsoleLogger.
func runLogger(opts Options) zerolog.Logger {
	if opts.Logger != nil {
		return *opts.Logger
	}
	return ConsoleLogger()
}

// ConsoleLogger is the logger of a run without Options.Logger: human-readable
// lines on stderr (colours on a terminal only).
func ConsoleLogger() zerolog.Logger {
	return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05", NoColor: !progress.IsTerminal(os.Stderr)}).With().Timestamp().Logger()
}

// writeReport writes report.html from the run folder; a failure is
// logged, never fatal to a run that trained.
func (t *trainer) writeReport() {
	if err := report.WriteHTML(t.cfg.OutDir); err != nil {
		t.log.Warn().Err(err).Msg("report.html not written")
		return
	}
	t.log.Info().Str("report", filepath.Join(t.cfg.OutDir, report.ReportFile)).Msg("report written")
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// roundSig rounds v to n significant digits (a learning rate of
// 0.0005000000000000002 logs as 0.0005).
func roundSig(v float64, n int) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', n, 64), 64)
	return r
}

// widenThreshold is t as the float64 whose shortest decimal is t's own:
// a picked 0.36 is written as 0.36 in JSON and CSV, not as
// 0.36000001430511475. Converted back to float32 it is t again, so the
// masks binarised with it do not change.
func widenThreshold(t float32) float64 {
	w, err := strconv.ParseFloat(strconv.FormatFloat(float64(t), 'g', -1, 32), 64)
	if err != nil || float32(w) != t {
		return float64(t)
	}
	return w
}
