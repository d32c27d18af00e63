package losses

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every invalid option is an error naming it by its JSON path; an enum's
// lists the allowed values.
func TestConfigErrorsNameTheOption(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Preset: "nope"}, `losses: preset "nope": want "unet", "deep-supervision", "psdl", "ddl" or "dskd"`},
		{Config{DDLSchedule: "cosine"}, `losses: ddl_schedule "cosine": want "ramp", "constant" or "start"`},
		{Config{LambdaPSDL: -1}, "losses: lambda_psdl -1: must be a finite number >= 0"},
		{Config{LambdaDDL: math.NaN()}, "losses: lambda_ddl NaN: must be a finite number >= 0"},
		{Config{LambdaDS: math.Inf(1)}, "losses: lambda_ds +Inf: must be a finite number >= 0"},
		{Config{AlphaT: 2}, "losses: alpha_t 2: must lie in (0, 1]"},
		{Config{DDLStartEpoch: -3}, "losses: ddl_start_epoch -3: must be >= 1 (0 = 1)"},
		{Config{DSWeights: []float64{1, -1}}, "losses: ds_weights[1] -1: must be a finite number >= 0"},
		{Config{DDL: DDLOptions{Grid: -1}}, "losses: ddl.grid -1: must be >= 1"},
		{Config{DDL: DDLOptions{Tau: -2}}, "losses: ddl.tau -2: must be a finite number > 0"},
		{Config{DDL: DDLOptions{Eps: 1}}, "losses: ddl.eps 1: must lie in (0, 1)"},
		{Config{DDL: DDLOptions{TauSquared: 7}}, "losses: ddl.no_tau_squared Switch(7): want On or Off"},
	} {
		_, err := NewObjective(tc.cfg)
		assert.EqualError(t, err, tc.want)
	}
}

// TauSquared is positive in Go and keeps the JSON of earlier versions:
// on (the default) is left out, off is "no_tau_squared": true.
func TestConfigTauSquaredJSON(t *testing.T) {
	b, err := json.Marshal(DDLOptions{})
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(b))
	b, err = json.Marshal(DDLOptions{Grid: 2, TauSquared: Off})
	require.NoError(t, err)
	assert.Equal(t, `{"grid":2,"no_tau_squared":true}`, string(b))

	for in, want := range map[string]Switch{`{"no_tau_squared": true}`: Off, `{"no_tau_squared": false}`: On, `{}`: On} {
		var o DDLOptions
		require.NoError(t, json.Unmarshal([]byte(in), &o))
		assert.Equal(t, want, o.TauSquared, in)
	}
	var o DDLOptions
	assert.Error(t, json.Unmarshal([]byte(`{"no_tau_squared": "off"}`), &o))

	obj, err := NewObjective(Config{})
	require.NoError(t, err)
	assert.Equal(t, On, obj.Config().DDL.TauSquared, "on by default")
}
