package metrics

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// String prints the summary as an aligned text table:
//
//	metric       pooled  mean    std     n
//	dice         0.8123  0.8011  0.0412  126
func (r Result) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d images, threshold %g (positive when p >= t), 0/0 -> %s, pooled AUC %s",
		len(r.Images), r.Threshold, r.ZeroDivision, r.AUCMethod)
	if r.AUCErrorBound != 0 {
		fmt.Fprintf(&sb, " (±%.2g)", r.AUCErrorBound)
	}
	sb.WriteString(", std is sample (n-1)\n")
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tpooled\tmean\tstd\tn")
	for _, s := range r.Summary {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", s.Metric, f4(s.Pooled), f4(s.Mean), f4(s.Std), s.N)
	}
	tw.Flush()
	return sb.String()
}

func f4(x float64) string { return fmt.Sprintf("%.4f", x) }

// fcsv prints x with full precision; NaN is "NaN".
func fcsv(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// WriteCSV writes the summary: header "metric,pooled,mean,std" then one
// row per metric. NaN is written as NaN.
func (r Result) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"metric", "pooled", "mean", "std"}}
	for _, s := range r.Summary {
		rows = append(rows, []string{string(s.Metric), fcsv(s.Pooled), fcsv(s.Mean), fcsv(s.Std)})
	}
	return cw.WriteAll(rows)
}

// PerImageCSVHeader is the header of WritePerImageCSV.
var PerImageCSVHeader = []string{
	"name", "tp", "fp", "tn", "fn",
	"dice", "iou", "accuracy", "sensitivity", "specificity", "precision", "auc", "cldice",
}

// WritePerImageCSV writes one row per image (PerImageCSVHeader columns).
func (r Result) WritePerImageCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rows := [][]string{PerImageCSVHeader}
	for _, im := range r.Images {
		c := im.Counts
		row := []string{im.Name,
			strconv.FormatInt(c.TP, 10), strconv.FormatInt(c.FP, 10),
			strconv.FormatInt(c.TN, 10), strconv.FormatInt(c.FN, 10)}
		for _, m := range AllMetrics {
			row = append(row, fcsv(im.Value(m)))
		}
		rows = append(rows, row)
	}
	return cw.WriteAll(rows)
}
