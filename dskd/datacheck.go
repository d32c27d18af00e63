package dskd

import (
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/angioseg/dskd/data"
)

// checkData decodes every file of split before the first step, so that a
// corrupt file stops the run at once with the list of every bad file. With
// cfg.SkipBad the unusable samples are left out instead and returned.
func checkData(cfg Config, split data.Split, log zerolog.Logger) (data.Split, []data.Problem, error) {
	err := data.CheckSplit(split, data.CheckOptions{Workers: cfg.Workers, Logger: &log})
	var ce *data.CheckError
	if err == nil || !errors.As(err, &ce) {
		return split, nil, err
	}
	if !cfg.SkipBad {
		return split, nil, fmt.Errorf("dskd: %w\nset skip_bad (--skip-bad) to train on the rest", err)
	}
	for _, p := range ce.Problems {
		log.Warn().Str("split", p.Split).Str("sample", p.Sample.Name).Err(p.Err).Msg("left out: unusable file")
	}
	split = split.Without(ce.Problems)
	if len(split.Train) == 0 {
		return split, nil, fmt.Errorf("dskd: no usable training sample left: %w", err)
	}
	return split, ce.Problems, nil
}
