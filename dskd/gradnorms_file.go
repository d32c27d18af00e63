package dskd

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/angioseg/dskd/internal/atomicfile"
)

// gradNormsHeader is the header of grad_norms.csv.
var gradNormsHeader = []string{"epoch", "step", "term", "weight", "group", "norm", "cos_dice", "cos_total"}

// write replaces the run folder's grad_norms.csv with every row so far.
func (p *gradProbe) write(dir string) error {
	if p == nil {
		return nil
	}
	err := atomicfile.Write(filepath.Join(dir, GradNormsFile), func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(gradNormsHeader); err != nil {
			return err
		}
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		for _, r := range p.rows {
			if err := cw.Write([]string{strconv.Itoa(r.Epoch), strconv.Itoa(r.Step), r.Term, f(r.Weight), r.Group,
				f(r.Norm), f(r.CosDice), f(r.CosTotal)}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		return fmt.Errorf("dskd: %w", err)
	}
	return nil
}

// resume keeps the rows of dir's grad_norms.csv measured before the
// resumed position (epoch, step): the steps after it are trained again.
func (p *gradProbe) resume(dir string, epoch, step int) error {
	if p == nil {
		return nil
	}
	rows, err := ReadGradNorms(filepath.Join(dir, GradNormsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Epoch < epoch || (r.Epoch == epoch && r.Step < step) {
			p.rows = append(p.rows, r)
		}
	}
	return nil
}

// ReadGradNorms reads a grad_norms.csv.
func ReadGradNorms(path string) ([]GradNorm, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("dskd: %s: %w", path, err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(gradNormsHeader, ",") {
		return nil, fmt.Errorf("dskd: %s: not a grad_norms table (want the header %s)", path, strings.Join(gradNormsHeader, ","))
	}
	rows := make([]GradNorm, 0, len(recs)-1)
	for i, rec := range recs[1:] {
		var r GradNorm
		var errs [6]error
		r.Epoch, errs[0] = strconv.Atoi(rec[0])
		r.Step, errs[1] = strconv.Atoi(rec[1])
		r.Term, r.Group = rec[2], rec[4]
		r.Weight, errs[2] = strconv.ParseFloat(rec[3], 64)
		r.Norm, errs[3] = strconv.ParseFloat(rec[5], 64)
		r.CosDice, errs[4] = strconv.ParseFloat(rec[6], 64)
		r.CosTotal, errs[5] = strconv.ParseFloat(rec[7], 64)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("dskd: %s line %d: %w", path, i+2, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}
