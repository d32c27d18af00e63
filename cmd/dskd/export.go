package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/angioseg/dskd/dskd"
	"github.com/angioseg/dskd/interop"
)

// ExportUsage is the usage line of `dskd export`.
const ExportUsage = "dskd export  --run RUN|--checkpoint DIR|--weights FILE --out FILE [--format safetensors|pt|onnx] [--side-outputs]"

// Export is `dskd export`: it writes a run's best model (--run), a
// checkpoint's (--checkpoint) or a weights file's (--weights: e.g. a
// PyTorch .pt to ONNX) as safetensors, .pt or ONNX, the format taken from
// --format or else from --out's extension.
func Export(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("dskd export", flag.ContinueOnError)
	run := fs.String("run", "", "run folder (its best checkpoint)")
	checkpoint := fs.String("checkpoint", "", "checkpoint folder (model.pt + state.json)")
	weights := fs.String("weights", "", ".safetensors or .pt weights file to convert")
	out := fs.String("out", "", "output file (.safetensors, .pt or .onnx)")
	format := fs.String("format", "", "safetensors, pt or onnx (default: from --out's extension)")
	sides := fs.Bool("side-outputs", false, "onnx: also output the side heads' probabilities (side_0 coarsest ...)")
	threshold := fs.Float64("threshold", 0, "threshold stored in the metadata (default: the run's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return errors.New("export: --out is required")
	}
	var f interop.Format
	var err error
	if *format != "" {
		f, err = interop.ParseFormat(*format)
	} else {
		f, err = interop.FormatOf(*out)
	}
	if err != nil {
		return err
	}
	m, err := exportSource(*run, *checkpoint, *weights, *threshold)
	if err != nil {
		return err
	}
	if err := interop.WriteFile(*out, m, f, interop.ONNXOptions{SideOutputs: *sides}); err != nil {
		return err
	}
	c := m.Meta.Config
	fmt.Fprintf(stdout, "wrote %s (%s): U-Net depth %d, base %d, %s upsampling, %s normalisation, threshold %g\n",
		*out, f, c.Depth, c.Base, c.Upsample, m.Meta.Normalize, m.Meta.Threshold)
	return nil
}

// exportSource loads the model named by exactly one of run, checkpoint
// and weights.
func exportSource(run, checkpoint, weights string, threshold float64) (*interop.Model, error) {
	given := 0
	for _, s := range []string{run, checkpoint, weights} {
		if s != "" {
			given++
		}
	}
	if given != 1 {
		return nil, errors.New("export: give exactly one of --run, --checkpoint and --weights")
	}
	if weights != "" {
		m, err := interop.ReadFile(weights)
		if err == nil && threshold != 0 {
			m.Meta.Threshold = threshold
		}
		return m, err
	}
	src := run
	if checkpoint != "" {
		src = checkpoint
	}
	p, err := dskd.LoadPredictor(src, dskd.PredictOptions{Device: "cpu", Threshold: threshold})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	return p.Export()
}

// warnStartup prints the libtorch self-check's warning (it fell back to
// fewer threads than asked) to stderr: the predictions are right, but
// slower than the thread count suggests.
func warnStartup(p *dskd.Predictor) {
	if w := p.Startup.Threads.Warning; w != "" {
		fmt.Fprintln(os.Stderr, "warning:", w)
	}
}
