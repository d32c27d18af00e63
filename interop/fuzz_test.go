package interop

import (
	"bytes"
	"testing"
)

// FuzzDecode: no input makes the readers panic (go test runs the seeds;
// go test -fuzz FuzzDecode ./interop explores).
func FuzzDecode(f *testing.F) {
	arrays := []Array{{Name: "enc0.conv1.weight", Shape: []int64{2, 1, 1, 2}, Data: []float32{1, 2, 3, 4}}}
	for _, enc := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error {
			return EncodeSafetensors(b, arrays, map[string]string{"dskd_config": "{}"})
		},
		func(b *bytes.Buffer) error { return EncodePT(b, arrays, nil) },
	} {
		var b bytes.Buffer
		if err := enc(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err == nil && m.Validate() != nil {
			t.Fatal("Decode returned an invalid model")
		}
		_, _, _ = DecodePT(b)
		_, _ = unpickle(b)
	})
}
