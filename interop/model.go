package interop

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/angioseg/dskd/internal/option"
	"github.com/angioseg/dskd/models"
)

// Architecture names the network every file of this package holds.
const Architecture = "dskd-unet"

// Normalisations a Metadata may name (those of dskd.Config.Normalize).
const (
	NormZScore = "zscore" // (v - mean) / max(std, 1e-6) per image, population std
	NormMinMax = "minmax" // (v - min) / (max - min) per image; a constant image becomes 0
	NormNone   = "none"   // the intensities in [0, 1] as decoded
)

// Metadata is what a weights file says about its model besides the
// weights. The zero value means: the default UNetConfig, z-score
// normalisation, threshold 0.5, unknown dskd version.
type Metadata struct {
	// Config is the network; zero fields take models.UNetConfig's defaults.
	Config models.UNetConfig
	// Normalize is the per-image input normalisation applied before the
	// network (NormZScore, NormMinMax or NormNone); "" means NormZScore.
	Normalize string
	// Threshold binarises the probability map; 0 means 0.5.
	Threshold float64
	// Version is the dskd version that wrote the file ("" = unknown).
	Version string
}

// WithDefaults fills the zero fields and validates the rest.
func (m Metadata) WithDefaults() (Metadata, error) {
	var err error
	if m.Config, err = m.Config.WithDefaults(); err != nil {
		return m, fmt.Errorf("interop: %w", err)
	}
	// The memory layout (how a process runs the network) and the
	// initialisation (how it started) are not part of the weights: files
	// carry the architecture only.
	m.Config.MemoryFormat, m.Config.Init = "", ""
	option.Default(&m.Normalize, NormZScore)
	switch strings.ToLower(m.Normalize) {
	case "zscore", "z-score":
		m.Normalize = NormZScore
	case "minmax", "min-max":
		m.Normalize = NormMinMax
	case NormNone:
		m.Normalize = NormNone
	default:
		return m, fmt.Errorf("interop: normalisation %q: want %s, %s or %s", m.Normalize, NormZScore, NormMinMax, NormNone)
	}
	option.Default(&m.Threshold, 0.5)
	if !(m.Threshold > 0 && m.Threshold < 1) {
		return m, fmt.Errorf("interop: threshold %g: want a value in (0, 1)", m.Threshold)
	}
	return m, nil
}

// The string keys of Metadata in safetensors' __metadata__, ONNX's
// metadata_props and the dskd.json record of a .pt file.
const (
	keyArchitecture = "dskd_architecture"
	keyConfig       = "dskd_config"
	keyNormalize    = "dskd_normalize"
	keyThreshold    = "dskd_threshold"
	keyVersion      = "dskd_version"
)

// Strings encodes the metadata (defaults filled in) as string pairs.
func (m Metadata) Strings() (map[string]string, error) {
	m, err := m.WithDefaults()
	if err != nil {
		return nil, err
	}
	cfg, err := json.Marshal(m.Config)
	if err != nil {
		return nil, fmt.Errorf("interop: %w", err)
	}
	return map[string]string{
		keyArchitecture: Architecture,
		keyConfig:       string(cfg),
		keyNormalize:    m.Normalize,
		keyThreshold:    strconv.FormatFloat(m.Threshold, 'g', -1, 64),
		keyVersion:      m.Version,
	}, nil
}

// parseMetadata decodes Strings' output. ok is false when the pairs carry
// no dskd metadata at all (a file written by other tools).
func parseMetadata(kv map[string]string) (m Metadata, ok bool, err error) {
	cfg, ok := kv[keyConfig]
	if !ok {
		return m, false, nil
	}
	if a := kv[keyArchitecture]; a != "" && a != Architecture {
		return m, true, fmt.Errorf("interop: architecture %q: this version reads %q", a, Architecture)
	}
	dec := json.NewDecoder(strings.NewReader(cfg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m.Config); err != nil {
		return m, true, fmt.Errorf("interop: metadata %s %q: %w", keyConfig, cfg, err)
	}
	m.Normalize = kv[keyNormalize]
	if t := kv[keyThreshold]; t != "" {
		if m.Threshold, err = strconv.ParseFloat(t, 64); err != nil {
			return m, true, fmt.Errorf("interop: metadata %s %q: %w", keyThreshold, t, err)
		}
	}
	m.Version = kv[keyVersion]
	m, err = m.WithDefaults()
	return m, true, err
}

// Model is a whole dskd network as plain Go data: its description and every
// variable (weights and BatchNorm running statistics).
type Model struct {
	Meta   Metadata
	Arrays []Array
}

// Validate fills the metadata defaults and checks that the arrays are
// exactly those of Meta.Config (see CheckLayout).
func (m *Model) Validate() error {
	meta, err := m.Meta.WithDefaults()
	if err != nil {
		return err
	}
	if err := CheckLayout(meta.Config, m.Arrays); err != nil {
		return err
	}
	m.Meta = meta
	return nil
}

// Array returns the array called name.
func (m *Model) Array(name string) (Array, bool) {
	for _, a := range m.Arrays {
		if a.Name == name {
			return a, true
		}
	}
	return Array{}, false
}

// newModel assembles a Model read from a file: kv is the file's metadata
// (nil or without dskd keys for a file written elsewhere, in which case the
// config is inferred from the shapes). BatchNorm "num_batches_tracked"
// counters of torch.nn.BatchNorm2d are dropped: dskd keeps no such counter
// and they do not change inference.
func newModel(arrays []Array, kv map[string]string) (*Model, error) {
	kept := arrays[:0:0]
	for _, a := range arrays {
		if !strings.HasSuffix(a.Name, ".num_batches_tracked") {
			kept = append(kept, a)
		}
	}
	meta, ok, err := parseMetadata(kv)
	if err != nil {
		return nil, err
	}
	if !ok {
		if meta.Config, err = InferConfig(kept); err != nil {
			return nil, err
		}
	}
	m := &Model{Meta: meta, Arrays: kept}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}
