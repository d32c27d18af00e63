package metrics

import "fmt"

// Metric names a score. The string is the lower-case name used in
// tables, JSON and CSV.
type Metric string

// The metrics this package reports, in report order.
const (
	MetricDice        Metric = "dice"
	MetricIoU         Metric = "iou"
	MetricAccuracy    Metric = "accuracy"
	MetricSensitivity Metric = "sensitivity"
	MetricSpecificity Metric = "specificity"
	MetricPrecision   Metric = "precision"
	MetricAUC         Metric = "auc"
	MetricClDice      Metric = "cldice"
)

// AllMetrics lists every metric in report order.
var AllMetrics = []Metric{
	MetricDice, MetricIoU, MetricAccuracy, MetricSensitivity,
	MetricSpecificity, MetricPrecision, MetricAUC, MetricClDice,
}

// fromCounts returns a confusion-count metric, or an error for a metric
// that cannot be computed from counts alone (AUC, clDice).
func fromCounts(m Metric, c Confusion, z ZeroDivision) (float64, error) {
	switch m {
	case MetricDice, "":
		return c.Dice(z), nil
	case MetricIoU:
		return c.IoU(z), nil
	case MetricAccuracy:
		return c.Accuracy(z), nil
	case MetricSensitivity:
		return c.Sensitivity(z), nil
	case MetricSpecificity:
		return c.Specificity(z), nil
	case MetricPrecision:
		return c.Precision(z), nil
	}
	return 0, fmt.Errorf("metrics: %q is not a confusion-count metric", string(m))
}
