package report

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadMetricsCSVRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.csv")
	require.NoError(t, WriteMetricsCSVFile(path, twoEpochs()))
	got, err := ReadMetricsCSVFile(path)
	require.NoError(t, err)
	require.Len(t, got, 2)
	want := twoEpochs()
	assert.True(t, math.IsNaN(got[0].ValDice))
	got[0].ValDice, want[0].ValDice = 0, 0
	assert.Equal(t, want, got)
}

// Files written before the lambda_ddl column existed still read.
func TestReadMetricsCSVWithoutLambdaDDL(t *testing.T) {
	old := "epoch,train_loss,dice,val_dice,val_iou,lr,alpha,seconds\n0,0.9,0.5,0.25,,0.001,0,3.5\n"
	got, err := ReadMetricsCSV(strings.NewReader(old))
	require.NoError(t, err)
	assert.Equal(t, []EpochRecord{{Epoch: 0, TrainLoss: 0.9, Parts: map[string]float64{"dice": 0.5}, ValDice: 0.25, LR: 0.001, Seconds: 3.5}}, got)
}

func TestReadMetricsCSVErrors(t *testing.T) {
	for name, tc := range map[string]struct{ in, err string }{
		"empty":         {"", "report: metrics csv: empty file (no header)"},
		"no epoch":      {"train_loss,val_dice,lr,alpha,seconds\n", `has no "epoch" column`},
		"bad number":    {"epoch,train_loss,val_dice,lr,alpha,seconds\n0,x,,1,0,1\n", `line 2: train_loss: strconv.ParseFloat: parsing "x"`},
		"short row":     {"epoch,train_loss,val_dice,lr,alpha,seconds\n0,1\n", "wrong number of fields"},
		"epoch not int": {"epoch,train_loss,val_dice,lr,alpha,seconds\n1.5,1,,1,0,1\n", "line 2: epoch: "},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadMetricsCSV(strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
	_, err := ReadMetricsCSVFile(filepath.Join(t.TempDir(), "none.csv"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}
