package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
)

// WriteMetricsCSV writes history as CSV with the header
//
//	epoch,train_loss,<sorted part names>,val_dice,<sorted val score names>,lr,alpha,lambda_ddl,seconds
//
// and one row per record, in the given order. Part and score columns are the
// union over all records; a name missing from a record gives an empty cell.
// NaN values (e.g. val_dice of an epoch that was not validated) are written
// as empty cells; ±Inf as "+Inf"/"-Inf"; other floats in the shortest form
// that round-trips (strconv 'g', precision -1). An empty history writes the
// header alone.
func WriteMetricsCSV(w io.Writer, history []EpochRecord) error {
	if err := writeMetricsCSV(w, history); err != nil {
		return fmt.Errorf("report: metrics csv: %w", err)
	}
	return nil
}

// WriteMetricsCSVFile writes WriteMetricsCSV's output to path atomically
// (temporary file in the same directory, then rename), creating parent
// directories as needed.
func WriteMetricsCSVFile(path string, history []EpochRecord) error {
	return writeAtomic(path, func(w io.Writer) error { return writeMetricsCSV(w, history) })
}

func writeMetricsCSV(w io.Writer, history []EpochRecord) error {
	parts, scores := partNames(history), valScoreNames(history)
	header := []string{"epoch", "train_loss"}
	header = append(header, parts...)
	header = append(header, "val_dice")
	header = append(header, scores...)
	header = append(header, "lr", "alpha", "lambda_ddl", "seconds")

	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, 0, len(header))
	for _, r := range history {
		row = append(row[:0], strconv.Itoa(r.Epoch), fmtFloat(r.TrainLoss))
		row = appendCells(row, parts, r.Parts)
		row = append(row, fmtFloat(r.ValDice))
		row = appendCells(row, scores, r.ValScores)
		row = append(row, fmtFloat(r.LR), fmtFloat(r.Alpha), fmtFloat(r.LambdaDDL), fmtFloat(r.Seconds))
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("epoch %d: %w", r.Epoch, err)
		}
	}
	cw.Flush()
	return cw.Error()
}

func appendCells(row, names []string, m map[string]float64) []string {
	for _, n := range names {
		v, ok := m[n]
		if !ok {
			row = append(row, "")
			continue
		}
		row = append(row, fmtFloat(v))
	}
	return row
}

func fmtFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
