package dskd

import (
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"github.com/angioseg/dskd/interop"
	"github.com/angioseg/dskd/models"
)

// Weights files (package interop): a trained model leaves as safetensors,
// .pt or ONNX (Predictor.Export, then interop.WriteFile); weights trained
// elsewhere (PyTorch, with interop/pytorch/dskd_unet.py) come in for
// prediction (LoadPredictorWeights) or as the start of a fine-tuning run
// (Config.InitWeights).

// Export returns the predictor's model as plain data, with the
// normalisation and threshold it predicts with.
func (p *Predictor) Export() (*interop.Model, error) {
	var m *interop.Model
	err := p.worker.Do(func() error {
		var err error
		m, err = interop.FromUNet(p.model)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	m.Meta.Normalize = p.norm.String()
	m.Meta.Threshold = p.threshold
	return m, nil
}

// LoadPredictorWeights loads a predictor from a .safetensors or .pt weights
// file (interop.ReadFile): one written by `dskd export`, or a state dict of
// interop/pytorch/dskd_unet.py saved by PyTorch (config from the shapes,
// z-score normalisation, threshold 0.5, unless the file says otherwise).
// opts.Threshold, when set, overrides the file's threshold.
func LoadPredictorWeights(path string, opts PredictOptions) (*Predictor, error) {
	m, err := interop.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	return NewPredictor(m, opts)
}

// NewPredictor builds a predictor from a model held as plain data.
func NewPredictor(m *interop.Model, opts PredictOptions) (*Predictor, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("dskd: %w", err)
	}
	norm, err := parseNorm(Normalize(m.Meta.Normalize))
	if err != nil {
		return nil, err
	}
	st := State{Epoch: -1, BestEpoch: -1, BestScore: -1, Model: "unet",
		Config: Config{Model: m.Meta.Config, Normalize: Normalize(m.Meta.Normalize), Threshold: m.Meta.Threshold}}
	p := &Predictor{norm: norm, opts: opts.InferOptions, State: st, threshold: opts.Threshold}
	if p.threshold <= 0 || p.threshold >= 1 {
		p.threshold = m.Meta.Threshold
	}
	err = p.start(opts, func() (*models.UNet, error) { return interop.NewUNet(m, p.device) })
	if err != nil {
		return nil, err
	}
	return p, nil
}

// loadInitWeights fills a freshly built student with Config.InitWeights.
func loadInitWeights(student *models.UNet, cfg Config, log zerolog.Logger) error {
	m, err := interop.ReadFile(cfg.InitWeights)
	if err != nil {
		return fmt.Errorf("dskd: init_weights: %w", err)
	}
	if err := interop.LoadArrays(student, m.Arrays); err != nil {
		return fmt.Errorf("dskd: init_weights %s: %w", cfg.InitWeights, err)
	}
	ev := log.Info()
	if !strings.EqualFold(m.Meta.Normalize, string(cfg.Normalize)) {
		ev = log.Warn().Str("their_normalize", m.Meta.Normalize).Str("run_normalize", string(cfg.Normalize))
	}
	ev.Str("from", cfg.InitWeights).Str("written_by", m.Meta.Version).Msg("initial weights")
	return nil
}
