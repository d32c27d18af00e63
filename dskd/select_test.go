package dskd

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Select: best_val keeps the epoch of the highest validation Dice, last
// keeps the last epoch; both report the model they kept.
func TestSelectKeepsTheChosenEpoch(t *testing.T) {
	split := syntheticSplit(t, 12, 32)
	for _, sel := range []Selection{"", SelectBestValidation, SelectLast} {
		t.Run(string(sel), func(t *testing.T) {
			cfg := tinyConfig(t, 3)
			cfg.Select = sel
			res, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
			require.NoError(t, err)
			require.Len(t, res.History, 3)
			want, top := 0, res.History[0].ValDice
			for e, h := range res.History {
				if h.ValDice > top {
					want, top = e, h.ValDice
				}
			}
			if sel == SelectLast {
				// The tiny runs' validation Dice is flat, so the first
				// epoch is the best one and the two selections differ.
				require.NotEqual(t, 2, want, "a fixture where best_val and last pick the same epoch tests nothing")
				want = 2
			}
			assert.Equal(t, want, res.BestEpoch)
			assert.Equal(t, res.History[want].ValDice, res.BestScore)
			best, err := BestCheckpoint(cfg.OutDir)
			require.NoError(t, err)
			st, err := ReadState(best)
			require.NoError(t, err)
			assert.Equal(t, want, st.Epoch, "checkpoints/best holds the kept epoch")
		})
	}
	cfg := tinyConfig(t, 1)
	cfg.Select = "final"
	_, err := Train(context.Background(), cfg, split, Options{Logger: quietLogger()})
	assert.ErrorContains(t, err, `select "final": want "best_val" or "last"`)
}
