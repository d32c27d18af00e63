package option

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type inner struct {
	Grid int    `json:"grid,omitempty"`
	Off  Switch `json:"no_thing,omitempty"`
}

type custom struct{ A int }

// UnmarshalJSON checks its own fields, as dskd.Config does.
func (c *custom) UnmarshalJSON(b []byte) error {
	type plain custom
	if err := CheckFields(b, reflect.TypeFor[plain]()); err != nil {
		return err
	}
	return json.Unmarshal(b, (*plain)(c))
}

type outer struct {
	Name   string  `json:"name"`
	Inner  inner   `json:"inner"`
	Ptr    *inner  `json:"ptr,omitempty"`
	List   []inner `json:"list"`
	Custom custom  `json:"custom"`
	Skip   int     `json:"-"`
	Plain  int
	embedded
}

type embedded struct {
	Extra int `json:"extra"`
}

func TestCheckFieldsNamesThePath(t *testing.T) {
	typ := reflect.TypeFor[outer]()
	for in, want := range map[string]string{
		`{"name": "x", "inner": {"grid": 2, "no_thing": true}, "ptr": {"grid": 1}, "list": [{}], "custom": {"A": 1}, "Plain": 1, "extra": 2}`: "",
		`{"NAME": "x", "plain": 3}`:           "", // encoding/json's case-insensitive match
		`{"nmae": "x"}`:                       `unknown field "nmae" (did you mean "name"?)`,
		`{"inner": {"gird": 2}}`:              `unknown field "inner.gird" (did you mean "grid"?)`,
		`{"ptr": {"x": 1}}`:                   `unknown field "ptr.x" (known: grid, no_thing)`,
		`{"list": [{}, {"grid": 1, "z": 0}]}`: `unknown field "list[1].z" (known: grid, no_thing)`,
		`{"custom": {"B": 1}}`:                `unknown field "custom.B" (known: A)`,
		`{"Skip": 1}`:                         `unknown field "Skip" (known: name, inner, ptr, list, custom, Plain, extra)`,
		`{"inner": 3, "list": {}}`:            "", // wrong types are the decoder's to report
		`not json`:                            "",
	} {
		err := CheckFields([]byte(in), typ)
		if want == "" {
			assert.NoError(t, err, in)
			continue
		}
		var u *UnknownFieldError
		require.True(t, errors.As(err, &u), in)
		assert.EqualError(t, err, want, in)
	}
}

func TestSwitchJSON(t *testing.T) {
	b, err := json.Marshal(inner{})
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(b), "On is left out")
	b, err = json.Marshal(inner{Off: Off})
	require.NoError(t, err)
	assert.Equal(t, `{"no_thing":true}`, string(b))
	_, err = json.Marshal(inner{Off: 3})
	assert.Error(t, err)
	for in, want := range map[string]Switch{`{"no_thing": true}`: Off, `{"no_thing": false}`: On, `{"no_thing": null}`: On} {
		var v inner
		require.NoError(t, json.Unmarshal([]byte(in), &v))
		assert.Equal(t, want, v.Off, in)
	}
	var v outer
	err = json.Unmarshal([]byte(`{"inner": {"no_thing": "off"}}`), &v)
	assert.EqualError(t, DecodeError(err), "inner.no_thing: want true or false, got a JSON string")
	assert.Equal(t, "on", On.String())
	assert.Equal(t, "off", Off.String())
}

func TestErrors(t *testing.T) {
	err := Errorf("optim", "name", "%q: want %s", "lbfgs", List("adamw", "sgd"))
	assert.EqualError(t, err, `optim: name "lbfgs": want "adamw" or "sgd"`)
	assert.EqualError(t, Under(err, "dskd: config", "optimizer"), `dskd: config: optimizer.name "lbfgs": want "adamw" or "sgd"`)
	assert.EqualError(t, Under(errors.New("models: depth 9"), "dskd: config", "model"), "dskd: config: model: models: depth 9")
	assert.NoError(t, Under(nil, "x", "y"))
	assert.NoError(t, OneOf("p", "k", "b", "a", "b"))
	assert.EqualError(t, OneOf("p", "k", "c", "a", "b", "d"), `p: k "c": want "a", "b" or "d"`)
	assert.Equal(t, `"a"`, List("a"))
	assert.Equal(t, 1, distance("bsae", "base"))
	assert.Equal(t, "", closest("zzzzzz", []string{"epochs", "lr"}))
	assert.Equal(t, "", closest("x", []string{"y"}), "no guess for one letter")
	assert.Equal(t, "lr", closest("lrr", []string{"epochs", "lr"}))
}

func TestDefaultFillsOnlyZeroValues(t *testing.T) {
	n, f, s := 0, 0.25, ""
	Default(&n, 4)
	Default(&f, 0.5)
	Default(&s, "zscore")
	assert.Equal(t, 4, n)
	assert.Equal(t, 0.25, f, "a value that is set stays")
	assert.Equal(t, "zscore", s)
	neg := -1
	Default(&neg, 2)
	assert.Equal(t, -1, neg, "a sentinel is not zero")
}
