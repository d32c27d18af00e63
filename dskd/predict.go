package dskd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sugarme/gotch"

	"github.com/angioseg/dskd/data"
	"github.com/angioseg/dskd/engine"
	"github.com/angioseg/dskd/metrics"
	"github.com/angioseg/dskd/models"
	"github.com/angioseg/dskd/report"
)

// PredictOptions configure a Predictor. The zero value predicts on the
// best available device with the run's threshold, without TTA.
type PredictOptions struct {
	InferOptions
	// Threshold binarises probabilities; 0 means the run's (0.5 unless the
	// run picked one on validation).
	Threshold float64
	Device    string // "" or "auto" (default), "cpu", "cuda:N"
	Threads   int    // libtorch threads; 0 = all cores
}

// Predictor holds a trained model on its own locked Worker.
type Predictor struct {
	worker    *engine.Worker
	model     *models.UNet
	device    gotch.Device
	norm      data.Normalization
	threshold float64
	opts      InferOptions
	runDir    string
	State     State // the checkpoint's state: config, epoch, best score
	// Startup is what engine.Start did before the model was built (the
	// allocator setting and the conv2d self-check), for the caller to log.
	Startup engine.Startup
}

// LoadPredictor loads a model from a run folder (its best checkpoint), or
// from a checkpoint folder holding model.pt and state.json.
func LoadPredictor(path string, opts PredictOptions) (*Predictor, error) {
	dir := path
	if _, err := os.Stat(filepath.Join(path, stateFile)); err != nil {
		best, err := BestCheckpoint(path)
		if err != nil {
			return nil, fmt.Errorf("dskd: %s is neither a run folder nor a checkpoint folder", path)
		}
		dir = best
	}
	st, err := ReadState(dir)
	if err != nil {
		return nil, err
	}
	norm, err := parseNorm(st.Config.Normalize)
	if err != nil {
		return nil, err
	}
	// A checkpoint folder is RUN/checkpoints/NAME.
	p := &Predictor{norm: norm, opts: opts.InferOptions, State: st, runDir: filepath.Dir(filepath.Dir(dir))}
	p.threshold = opts.Threshold
	if p.threshold == 0 {
		p.threshold = st.Config.Threshold
		if tf, err := readPickedThreshold(p.runDir); err == nil {
			p.threshold = tf
		}
	}
	if p.threshold <= 0 || p.threshold >= 1 {
		p.threshold = 0.5
	}
	err = p.start(opts, func() (*models.UNet, error) {
		m, err := models.New(st.Config.Model, p.device)
		if err != nil {
			return nil, fmt.Errorf("dskd: %w", err)
		}
		if err := m.Load(filepath.Join(dir, modelFile)); err != nil {
			return nil, fmt.Errorf("dskd: %w", err)
		}
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// start gives p its Worker (threads, device) and builds its model there;
// on an error the Worker is closed.
func (p *Predictor) start(opts PredictOptions, build func() (*models.UNet, error)) error {
	p.worker = engine.NewWorker()
	err := p.worker.Do(func() error {
		threads, err := engine.ThreadsFromConfig(opts.Threads)
		if err != nil {
			return err
		}
		if p.Startup, err = engine.Start(threads); err != nil {
			return fmt.Errorf("dskd: %w", err)
		}
		if p.device, err = engine.ParseDevice(opts.Device); err != nil {
			return err
		}
		if p.opts.Precision == "" {
			p.opts.Precision = PrecisionFP32
		}
		if err := validPrecision(p.opts.Precision, p.device); err != nil {
			return err
		}
		// build draws a random init (overwritten by the weights) from the
		// process's generator: keep it out of concurrent runs' draws.
		generatorMu.Lock()
		defer generatorMu.Unlock()
		p.model, err = build()
		return err
	})
	if err != nil {
		p.worker.Close()
	}
	return err
}

// thresholdFile holds the threshold a run picked on validation.
const thresholdFile = "threshold.json"

// PickedThreshold is threshold.json: the binarisation threshold a run
// chose on its validation split (Config.PickThreshold), never on test.
type PickedThreshold struct {
	Threshold float64 `json:"threshold"`
	Metric    string  `json:"metric"`    // the metric maximised ("dice")
	ValScore  float64 `json:"val_score"` // its value on validation at Threshold
	Epoch     int     `json:"epoch"`     // the best epoch whose model it was picked for
}

// readPickedThreshold reads the threshold a run chose on validation, if any.
func readPickedThreshold(runDir string) (float64, error) {
	b, err := os.ReadFile(filepath.Join(runDir, thresholdFile))
	if err != nil {
		return 0, err
	}
	var p PickedThreshold
	if err := json.Unmarshal(b, &p); err != nil {
		return 0, fmt.Errorf("dskd: %s: %w", filepath.Join(runDir, thresholdFile), err)
	}
	return p.Threshold, nil
}

// RunDir is the run folder whose checkpoint the predictor holds; "" for
// a model loaded from a weights file.
func (p *Predictor) RunDir() string { return p.runDir }

// Threshold is the binarisation threshold in use.
func (p *Predictor) Threshold() float64 { return p.threshold }

// Close releases the model's thread.
func (p *Predictor) Close() { p.worker.Close() }

// Predict returns the vessel probability of every pixel of img (values in
// [0,1], any size), normalised the way the model was trained.
func (p *Predictor) Predict(img *data.Image) ([]float32, error) {
	if img == nil || img.W <= 0 || img.H <= 0 || len(img.Pix) != img.W*img.H {
		return nil, fmt.Errorf("dskd: predict: invalid image")
	}
	in := img.Clone()
	p.norm.Apply(in)
	var probs []float32
	err := p.worker.Do(func() error {
		var err error
		probs, err = inferProbs(p.model, p.device, in.Pix, in.H, in.W, p.opts)
		return err
	})
	return probs, err
}

// Outputs are the files PredictFile writes.
type Outputs struct {
	Probability, Mask, Overlay string
}

// PredictFile predicts one image file and writes into outDir:
// NAME_prob.png (probability x 255), NAME_mask.png (0/255 at the
// threshold) and NAME_overlay.png (predicted vessels tinted red over the
// angiogram).
func (p *Predictor) PredictFile(path, outDir string) (Outputs, error) {
	return predictFile(path, outDir, p.Predict, p.threshold)
}

// predictFile writes the three PNGs of PredictFile for the probabilities
// predict gives, binarised at threshold.
func predictFile(path, outDir string, predict func(*data.Image) ([]float32, error), threshold float64) (Outputs, error) {
	img, err := data.LoadImage(path)
	if err != nil {
		return Outputs{}, fmt.Errorf("dskd: %w", err)
	}
	probs, err := predict(img)
	if err != nil {
		return Outputs{}, fmt.Errorf("dskd: %s: %w", path, err)
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	o := Outputs{
		Probability: filepath.Join(outDir, base+"_prob.png"),
		Mask:        filepath.Join(outDir, base+"_mask.png"),
		Overlay:     filepath.Join(outDir, base+"_overlay.png"),
	}
	if err := report.WriteProbabilityPNG(o.Probability, probs, img.W, img.H); err != nil {
		return o, err
	}
	if err := report.WriteMaskPNG(o.Mask, probs, img.W, img.H, float32(threshold)); err != nil {
		return o, err
	}
	if err := report.WriteOverlayPNG(o.Overlay, img, probs, nil, float32(threshold)); err != nil {
		return o, err
	}
	return o, nil
}

// Evaluate scores the model on labelled samples (per image and pooled).
func (p *Predictor) Evaluate(samples []data.Sample, clDice bool) (metrics.Result, error) {
	ev, err := p.evaluation(samples)
	if err != nil {
		return metrics.Result{}, err
	}
	return ev.score(float32(p.threshold), clDice)
}

// evaluation predicts every sample, in order.
func (p *Predictor) evaluation(samples []data.Sample) (*evaluation, error) {
	var ev *evaluation
	err := p.worker.Do(func() error {
		var err error
		ev, err = predictSamples(p.model, p.device, samples, p.norm, p.opts, nil)
		return err
	})
	return ev, err
}
