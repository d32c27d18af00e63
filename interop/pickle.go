package interop

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
)

// A small pickle reader: enough of the virtual machine (protocols 2 to 5)
// to read the data.pkl of a torch.save'd state dict. Classes are never
// instantiated: REDUCE on a known torch rebuild function makes a ptTensor,
// collections.OrderedDict makes a pyDict, anything else an opaque pyObject.

type (
	pyTuple  []any
	pyList   struct{ items []any }
	pyDict   struct{ keys, vals []any }
	pyGlobal struct{ module, name string }
	pyObject struct {
		class pyGlobal
		args  pyTuple
	}
	pyMark struct{}
	// ptStorage is a persistent id ('storage', torch.XStorage, key, location, numel).
	ptStorage struct {
		dt    dtype
		key   string
		numel int64
	}
	// ptTensor is a strided view of a storage.
	ptTensor struct {
		storage       ptStorage
		offset        int64
		shape, stride []int64
	}
)

// set stores k: v, replacing an equal string key (other key types, which
// may be uncomparable slices, are only appended).
func (d *pyDict) set(k, v any) {
	if ks, ok := k.(string); ok {
		for i, key := range d.keys {
			if s, ok := key.(string); ok && s == ks {
				d.vals[i] = v
				return
			}
		}
	}
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
}

// storageTypes are the typed storages torch.save names (all versions).
var storageTypes = map[string]dtype{
	"FloatStorage": dtF32, "DoubleStorage": dtF64, "HalfStorage": dtF16,
	"BFloat16Storage": dtBF16, "LongStorage": dtI64, "IntStorage": dtI32,
}

type unpickler struct {
	r     *bytes.Reader
	stack []any
	memo  map[int64]any
}

// unpickle runs data.pkl and returns its top-level object.
func unpickle(b []byte) (any, error) {
	u := &unpickler{r: bytes.NewReader(b), memo: map[int64]any{}}
	for {
		op, err := u.r.ReadByte()
		if err != nil {
			return nil, errors.New("pickle ends without STOP")
		}
		if op == '.' {
			if len(u.stack) != 1 {
				return nil, fmt.Errorf("pickle stops with %d objects on the stack", len(u.stack))
			}
			return u.stack[0], nil
		}
		if err := u.step(op); err != nil {
			return nil, fmt.Errorf("pickle opcode 0x%02x at byte %d: %w", op, int(u.r.Size())-u.r.Len()-1, err)
		}
	}
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 {
		return nil, errors.New("stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	if _, isMark := v.(pyMark); isMark {
		return nil, errors.New("unexpected mark")
	}
	return v, nil
}

// popMark pops everything above the topmost mark, and the mark.
func (u *unpickler) popMark() ([]any, error) {
	for i := len(u.stack) - 1; i >= 0; i-- {
		if _, ok := u.stack[i].(pyMark); ok {
			items := append([]any(nil), u.stack[i+1:]...)
			u.stack = u.stack[:i]
			return items, nil
		}
	}
	return nil, errors.New("no mark on the stack")
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 {
		return nil, errors.New("stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

func (u *unpickler) bytesN(n int64) ([]byte, error) {
	if n < 0 || n > int64(u.r.Len()) {
		return nil, fmt.Errorf("length %d past the end", n)
	}
	b := make([]byte, n)
	_, err := u.r.Read(b)
	return b, err
}

func (u *unpickler) uint(size int) (uint64, error) {
	b, err := u.bytesN(int64(size))
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := size - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

func (u *unpickler) line() (string, error) {
	var s []byte
	for {
		c, err := u.r.ReadByte()
		if err != nil {
			return "", errors.New("unterminated line")
		}
		if c == '\n' {
			return string(s), nil
		}
		s = append(s, c)
	}
}

func (u *unpickler) step(op byte) error {
	switch op {
	case 0x80: // PROTO
		_, err := u.r.ReadByte()
		return err
	case 0x95: // FRAME
		_, err := u.uint(8)
		return err
	case '(': // MARK
		u.push(pyMark{})
	case ')': // EMPTY_TUPLE
		u.push(pyTuple{})
	case ']': // EMPTY_LIST
		u.push(&pyList{})
	case '}': // EMPTY_DICT
		u.push(&pyDict{})
	case 'N':
		u.push(nil)
	case 0x88:
		u.push(true)
	case 0x89:
		u.push(false)
	case 'K', 'M', 'J': // BININT1, BININT2, BININT
		size := map[byte]int{'K': 1, 'M': 2, 'J': 4}[op]
		v, err := u.uint(size)
		if err != nil {
			return err
		}
		if op == 'J' {
			u.push(int64(int32(uint32(v))))
		} else {
			u.push(int64(v))
		}
	case 0x8a: // LONG1
		n, err := u.uint(1)
		if err != nil {
			return err
		}
		b, err := u.bytesN(int64(n))
		if err != nil {
			return err
		}
		v, err := longLE(b)
		if err != nil {
			return err
		}
		u.push(v)
	case 'G': // BINFLOAT (big-endian)
		b, err := u.bytesN(8)
		if err != nil {
			return err
		}
		u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case 'X', 0x8c, 0x8d, 'T', 'U', 'B', 'C': // strings and bytes
		size := map[byte]int{'X': 4, 0x8c: 1, 0x8d: 8, 'T': 4, 'U': 1, 'B': 4, 'C': 1}[op]
		n, err := u.uint(size)
		if err != nil {
			return err
		}
		b, err := u.bytesN(int64(n))
		if err != nil {
			return err
		}
		u.push(string(b))
	case 'c': // GLOBAL
		mod, err := u.line()
		if err != nil {
			return err
		}
		name, err := u.line()
		if err != nil {
			return err
		}
		u.push(pyGlobal{mod, name})
	case 0x93: // STACK_GLOBAL
		name, err1 := u.pop()
		mod, err2 := u.pop()
		ms, ok1 := mod.(string)
		ns, ok2 := name.(string)
		if err1 != nil || err2 != nil || !ok1 || !ok2 {
			return errors.New("STACK_GLOBAL without two strings")
		}
		u.push(pyGlobal{ms, ns})
	case 't':
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(pyTuple(items))
	case 0x85, 0x86, 0x87: // TUPLE1..3
		n := int(op - 0x84)
		if len(u.stack) < n {
			return errors.New("stack underflow")
		}
		t := append(pyTuple(nil), u.stack[len(u.stack)-n:]...)
		u.stack = u.stack[:len(u.stack)-n]
		u.push(t)
	case 'l': // LIST
		items, err := u.popMark()
		if err != nil {
			return err
		}
		u.push(&pyList{items})
	case 'a', 'e': // APPEND, APPENDS
		var items []any
		var err error
		if op == 'a' {
			var v any
			v, err = u.pop()
			items = []any{v}
		} else {
			items, err = u.popMark()
		}
		if err != nil {
			return err
		}
		t, err := u.top()
		l, ok := t.(*pyList)
		if err != nil || !ok {
			return errors.New("append to a non-list")
		}
		l.items = append(l.items, items...)
	case 'd': // DICT
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d := &pyDict{}
		if err := setItems(d, items); err != nil {
			return err
		}
		u.push(d)
	case 's', 'u': // SETITEM, SETITEMS
		var items []any
		if op == 's' {
			v, err1 := u.pop()
			k, err2 := u.pop()
			if err1 != nil || err2 != nil {
				return errors.New("stack underflow")
			}
			items = []any{k, v}
		} else {
			var err error
			if items, err = u.popMark(); err != nil {
				return err
			}
		}
		t, err := u.top()
		d, ok := t.(*pyDict)
		if err != nil || !ok {
			return errors.New("setitem on a non-dict")
		}
		return setItems(d, items)
	case '0': // POP
		_, err := u.pop()
		return err
	case '1': // POP_MARK
		_, err := u.popMark()
		return err
	case '2': // DUP
		t, err := u.top()
		if err != nil {
			return err
		}
		u.push(t)
	case 'q', 'r', 0x94: // BINPUT, LONG_BINPUT, MEMOIZE
		var idx uint64
		var err error
		switch op {
		case 'q':
			idx, err = u.uint(1)
		case 'r':
			idx, err = u.uint(4)
		default:
			idx = uint64(len(u.memo))
		}
		if err != nil {
			return err
		}
		t, err := u.top()
		if err != nil {
			return err
		}
		u.memo[int64(idx)] = t
	case 'h', 'j': // BINGET, LONG_BINGET
		size := 1
		if op == 'j' {
			size = 4
		}
		idx, err := u.uint(size)
		if err != nil {
			return err
		}
		v, ok := u.memo[int64(idx)]
		if !ok {
			return fmt.Errorf("memo %d not set", idx)
		}
		u.push(v)
	case 'Q': // BINPERSID
		pid, err := u.pop()
		if err != nil {
			return err
		}
		s, err := persistentStorage(pid)
		if err != nil {
			return err
		}
		u.push(s)
	case 'R', 0x81: // REDUCE, NEWOBJ
		args, err1 := u.pop()
		fn, err2 := u.pop()
		t, ok1 := args.(pyTuple)
		g, ok2 := fn.(pyGlobal)
		if err1 != nil || err2 != nil || !ok1 || !ok2 {
			return errors.New("REDUCE needs a global and an argument tuple")
		}
		v, err := call(g, t)
		if err != nil {
			return err
		}
		u.push(v)
	case 'b': // BUILD: object state (e.g. a state dict's _metadata) is ignored
		if _, err := u.pop(); err != nil {
			return err
		}
		_, err := u.top()
		return err
	default:
		return errors.New("unsupported opcode")
	}
	return nil
}

func setItems(d *pyDict, items []any) error {
	if len(items)%2 != 0 {
		return errors.New("odd number of dict items")
	}
	for i := 0; i < len(items); i += 2 {
		d.set(items[i], items[i+1])
	}
	return nil
}

// longLE decodes a pickle LONG1 payload (two's complement, little-endian).
func longLE(b []byte) (int64, error) {
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if len(b) > 0 && b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	if !v.IsInt64() {
		return 0, fmt.Errorf("integer %v out of int64 range", v)
	}
	return v.Int64(), nil
}

func persistentStorage(pid any) (ptStorage, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) != 5 || t[0] != "storage" {
		return ptStorage{}, fmt.Errorf("persistent id %v: want ('storage', type, key, location, numel)", pid)
	}
	g, ok1 := t[1].(pyGlobal)
	key, ok2 := t[2].(string)
	n, ok3 := t[4].(int64)
	if !ok1 || !ok2 || !ok3 || n < 0 {
		return ptStorage{}, fmt.Errorf("persistent id %v: malformed", pid)
	}
	dt, ok := storageTypes[g.name]
	if g.module != "torch" || !ok {
		return ptStorage{}, fmt.Errorf("storage type %s.%s: want torch.FloatStorage, DoubleStorage, HalfStorage, BFloat16Storage, LongStorage or IntStorage", g.module, g.name)
	}
	return ptStorage{dt: dt, key: key, numel: n}, nil
}

func ints(v any) ([]int64, bool) {
	t, ok := v.(pyTuple)
	if !ok {
		return nil, false
	}
	out := make([]int64, len(t))
	for i, x := range t {
		if out[i], ok = x.(int64); !ok {
			return nil, false
		}
	}
	return out, true
}

// call applies the callables a state dict pickle uses.
func call(g pyGlobal, args pyTuple) (any, error) {
	switch g {
	case pyGlobal{"collections", "OrderedDict"}, pyGlobal{"builtins", "dict"}, pyGlobal{"__builtin__", "dict"}:
		return &pyDict{}, nil
	case pyGlobal{"torch._utils", "_rebuild_tensor_v2"}, pyGlobal{"torch._utils", "_rebuild_tensor"}:
		if len(args) < 4 {
			return nil, fmt.Errorf("%s.%s with %d arguments", g.module, g.name, len(args))
		}
		s, ok1 := args[0].(ptStorage)
		off, ok2 := args[1].(int64)
		shape, ok3 := ints(args[2])
		stride, ok4 := ints(args[3])
		if !ok1 || !ok2 || !ok3 || !ok4 || len(shape) != len(stride) {
			return nil, fmt.Errorf("%s.%s: malformed arguments", g.module, g.name)
		}
		return ptTensor{storage: s, offset: off, shape: shape, stride: stride}, nil
	case pyGlobal{"torch._utils", "_rebuild_parameter"}, pyGlobal{"torch._utils", "_rebuild_parameter_with_state"}:
		if len(args) < 1 {
			return nil, errors.New("_rebuild_parameter without arguments")
		}
		if _, ok := args[0].(ptTensor); !ok {
			return nil, errors.New("_rebuild_parameter of a non-tensor")
		}
		return args[0], nil
	}
	return pyObject{g, args}, nil
}
