package report

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func twoEpochs() []EpochRecord {
	return []EpochRecord{
		{Epoch: 1, TrainLoss: 0.9, Parts: map[string]float64{"dice": 0.5, "psdl": 0.25, "ddl": 0.15},
			ValDice: math.NaN(), LR: 0.001, Alpha: 0.5, LambdaDDL: 0.25, Seconds: 12.5},
		{Epoch: 2, TrainLoss: 0.6, Parts: map[string]float64{"dice": 0.4, "psdl": 0.2},
			ValDice: 0.75, ValScores: map[string]float64{"sensitivity": 0.8, "auc": 0.95},
			LR: 0.0005, Alpha: 0.25, Seconds: 11},
	}
}

const twoEpochsCSV = "epoch,train_loss,ddl,dice,psdl,val_dice,auc,sensitivity,lr,alpha,lambda_ddl,seconds\n" +
	"1,0.9,0.15,0.5,0.25,,,,0.001,0.5,0.25,12.5\n" +
	"2,0.6,,0.4,0.2,0.75,0.95,0.8,0.0005,0.25,0,11\n"

func TestWriteMetricsCSV(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteMetricsCSV(&buf, twoEpochs()))
	assert.Equal(t, twoEpochsCSV, buf.String())
}

func TestWriteMetricsCSVEmptyHistory(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteMetricsCSV(&buf, nil))
	assert.Equal(t, "epoch,train_loss,val_dice,lr,alpha,lambda_ddl,seconds\n", buf.String())
}

func TestWriteMetricsCSVFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run", "nested", "metrics.csv")
	require.NoError(t, WriteMetricsCSVFile(path, twoEpochs()))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, twoEpochsCSV, string(got))

	// Overwrite in place; no temporary files are left behind.
	require.NoError(t, WriteMetricsCSVFile(path, twoEpochs()[:1]))
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "metrics.csv", entries[0].Name())
}

func TestWriteMetricsCSVFileBadPath(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(blocker, []byte("x"), 0o644))
	path := filepath.Join(blocker, "metrics.csv")
	err := WriteMetricsCSVFile(path, twoEpochs())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "report: "+path+": ")
	assert.EqualError(t, WriteMetricsCSVFile("", nil), "report: empty output path")
}
