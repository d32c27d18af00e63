package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
)

// ReadMetricsCSV reads what WriteMetricsCSV wrote back into records:
// columns between train_loss and val_dice are Parts, columns between
// val_dice and lr are ValScores. Empty cells are NaN for the fixed columns
// and absent entries for parts and scores. Files written before the
// lambda_ddl column existed read with LambdaDDL 0.
func ReadMetricsCSV(r io.Reader) ([]EpochRecord, error) {
	h, err := readMetricsCSV(r)
	if err != nil {
		return nil, fmt.Errorf("report: metrics csv: %w", err)
	}
	return h, nil
}

// ReadMetricsCSVFile reads a metrics.csv file with ReadMetricsCSV.
func ReadMetricsCSVFile(path string) ([]EpochRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	h, err := readMetricsCSV(f)
	if err != nil {
		return nil, prefixed(path, err)
	}
	return h, nil
}

func readMetricsCSV(r io.Reader) ([]EpochRecord, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("empty file (no header)")
	}
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, name := range header {
		col[name] = i
	}
	for _, name := range []string{"epoch", "train_loss", "val_dice", "lr", "alpha", "seconds"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("header %v has no %q column", header, name)
		}
	}
	parts := header[col["train_loss"]+1 : col["val_dice"]]
	var scores []string
	if col["lr"] > col["val_dice"] {
		scores = header[col["val_dice"]+1 : col["lr"]]
	}
	var history []EpochRecord
	for line := 2; ; line++ {
		row, err := cr.Read()
		if err == io.EOF {
			return history, nil
		}
		if err != nil {
			return nil, err
		}
		rec, err := parseMetricsRow(row, col, parts, scores)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		history = append(history, rec)
	}
}

func parseMetricsRow(row []string, col map[string]int, parts, scores []string) (EpochRecord, error) {
	var rec EpochRecord
	var err error
	if rec.Epoch, err = strconv.Atoi(row[col["epoch"]]); err != nil {
		return rec, fmt.Errorf("epoch: %w", err)
	}
	fixed := []struct {
		name string
		dst  *float64
	}{{"train_loss", &rec.TrainLoss}, {"val_dice", &rec.ValDice}, {"lr", &rec.LR},
		{"alpha", &rec.Alpha}, {"lambda_ddl", &rec.LambdaDDL}, {"seconds", &rec.Seconds}}
	for _, f := range fixed {
		i, ok := col[f.name]
		if !ok {
			continue
		}
		if *f.dst, err = parseCell(row[i]); err != nil {
			return rec, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if rec.Parts, err = parseCells(row, col, parts); err != nil {
		return rec, err
	}
	rec.ValScores, err = parseCells(row, col, scores)
	return rec, err
}

// parseCells reads the named columns into a map, leaving out empty cells
// (nil when all are empty).
func parseCells(row []string, col map[string]int, names []string) (map[string]float64, error) {
	var m map[string]float64
	for _, name := range names {
		cell := row[col[name]]
		if cell == "" {
			continue
		}
		v, err := parseCell(cell)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if m == nil {
			m = map[string]float64{}
		}
		m[name] = v
	}
	return m, nil
}

// parseCell is fmtFloat's inverse: "" is NaN.
func parseCell(s string) (float64, error) {
	if s == "" {
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}
