package data

import (
	"runtime"
	"sync"

	"github.com/rs/zerolog"
)

// IteratorConfig configures NewIterator. The zero value iterates the samples
// in order, one per batch, without augmentation or normalisation.
type IteratorConfig struct {
	BatchSize int           // samples per batch; 0 means 1.
	Workers   int           // goroutines decoding and augmenting; 0 means runtime.GOMAXPROCS(0).
	Prefetch  int           // batches being prepared or ready ahead of the consumer; 0 means 2*Workers.
	Seed      int64         // seeds shuffling and augmentation.
	Shuffle   bool          // shuffle the order each epoch (seeded by Seed and epoch); default false.
	DropLast  bool          // drop the final batch if smaller than BatchSize; default false.
	Augment   AugmentConfig // zero value: no augmentation.
	Normalize Normalization // default NormNone.
	// Shard serves one rank's share of each epoch (data-parallel
	// training; see Shard); default all samples.
	Shard Shard
	// Strong, for unlabelled samples, makes two views of each frame under
	// one geometric draw (AugmentConfig.AugmentViews): Batch.Images the
	// weak one, Batch.Strong this strong one. nil: one view.
	Strong *StrongView
	// Skip is the number of batches at the start of the epoch that are
	// neither prepared nor returned (a run resumed mid-epoch); Len still
	// counts them, and the first Next yields batch Skip. Default 0.
	Skip int
	// Logger receives decoding messages (e.g. a non-binary mask, once per
	// file); nil means the package logger (see SetLogger).
	Logger *zerolog.Logger
}

// Iterator yields the batches of one epoch, prepared by background
// goroutines. The sequence of batches depends only on the samples, the
// config (except Workers and Prefetch) and the epoch. A sample's
// augmentation depends on its index in samples, not on its batch or
// shard, so it is the same whichever rank serves it. Use:
//
//	it, err := data.NewIterator(samples, cfg, epoch)
//	defer it.Close()
//	for it.Next() { b := it.Batch(); ... }
//	if err := it.Err(); err != nil { ... }
type Iterator struct {
	batch   *Batch
	err     error
	next    int
	nb      int
	slots   []chan result
	sem     chan struct{}
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	closed  bool
	samples []Sample
	order   []int
	cfg     IteratorConfig
	epoch   int
}

type result struct {
	b   *Batch
	err error
}

// NewIterator starts the goroutines for one epoch over samples. Samples must be
// all labelled or all unlabelled. Always Close the iterator.
func NewIterator(samples []Sample, cfg IteratorConfig, epoch int) (*Iterator, error) {
	if len(samples) == 0 {
		return nil, errorf("NewIterator: no samples")
	}
	if cfg.BatchSize < 0 || cfg.Workers < 0 || cfg.Prefetch < 0 || cfg.Skip < 0 {
		return nil, errorf("NewIterator: BatchSize %d, Workers %d, Prefetch %d and Skip %d must be >= 0", cfg.BatchSize, cfg.Workers, cfg.Prefetch, cfg.Skip)
	}
	if !cfg.Normalize.valid() {
		return nil, errorf("NewIterator: unknown Normalize %d", int(cfg.Normalize))
	}
	if err := cfg.Augment.Validate(); err != nil {
		return nil, err
	}
	if cfg.Strong != nil {
		if err := cfg.Strong.Validate(); err != nil {
			return nil, err
		}
		if samples[0].Labelled() {
			return nil, errorf("NewIterator: Strong views are for unlabelled samples; sample %s is labelled", samples[0].Name)
		}
	}
	if err := cfg.Shard.validate(); err != nil {
		return nil, err
	}
	for _, s := range samples[1:] {
		if s.Labelled() != samples[0].Labelled() {
			return nil, errorf("NewIterator: sample %s labelled=%v but sample %s labelled=%v; do not mix labelled and unlabelled samples",
				s.Name, s.Labelled(), samples[0].Name, samples[0].Labelled())
		}
	}
	cfg.BatchSize = max(cfg.BatchSize, 1)
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Prefetch == 0 {
		cfg.Prefetch = 2 * cfg.Workers
	}
	it := &Iterator{samples: samples, cfg: cfg, epoch: epoch, done: make(chan struct{})}
	it.order = make([]int, len(samples))
	for i := range it.order {
		it.order[i] = i
	}
	if cfg.Shuffle {
		r := newRand(uint64(cfg.Seed), uint64(epoch), 0x73687566) // "shuf"
		r.Shuffle(len(it.order), func(i, j int) { it.order[i], it.order[j] = it.order[j], it.order[i] })
	}
	it.order = cfg.Shard.take(it.order)
	it.nb = len(it.order) / cfg.BatchSize
	if !cfg.DropLast && len(it.order)%cfg.BatchSize != 0 {
		it.nb++
	}
	if cfg.Skip > it.nb {
		return nil, errorf("NewIterator: Skip %d, but the epoch has %d batches", cfg.Skip, it.nb)
	}
	it.next = cfg.Skip
	it.slots = make([]chan result, it.nb)
	for i := range it.slots {
		it.slots[i] = make(chan result, 1)
	}
	it.sem = make(chan struct{}, cfg.Prefetch)
	jobs := make(chan int)
	it.wg.Add(1 + cfg.Workers)
	go it.feed(jobs)
	for w := 0; w < cfg.Workers; w++ {
		go it.work(jobs)
	}
	return it, nil
}

// Len returns the number of batches in the epoch.
func (it *Iterator) Len() int { return it.nb }

func (it *Iterator) feed(jobs chan<- int) {
	defer it.wg.Done()
	defer close(jobs)
	for b := it.cfg.Skip; b < it.nb; b++ {
		select {
		case it.sem <- struct{}{}:
		case <-it.done:
			return
		}
		select {
		case jobs <- b:
		case <-it.done:
			return
		}
	}
}

func (it *Iterator) work(jobs <-chan int) {
	defer it.wg.Done()
	for b := range jobs {
		select {
		case <-it.done:
			return
		default:
		}
		bt, err := it.build(b)
		it.slots[b] <- result{bt, err} // capacity 1, one send per slot: never blocks
	}
}

// Next prepares the next batch; it returns false at the end of the epoch,
// after an error (see Err) or after Close.
func (it *Iterator) Next() bool {
	if it.closed || it.err != nil || it.next >= it.nb {
		it.batch = nil
		return false
	}
	var r result
	select {
	case r = <-it.slots[it.next]:
	case <-it.done:
		return false
	}
	<-it.sem
	it.next++
	if r.err != nil {
		it.err = r.err
		it.batch = nil
		it.stop()
		return false
	}
	it.batch = r.b
	return true
}

// Batch returns the batch prepared by the last successful Next. The caller owns it.
func (it *Iterator) Batch() *Batch { return it.batch }

// Err returns the first decoding/augmentation error, if any.
func (it *Iterator) Err() error { return it.err }

// Close stops the goroutines and waits for them to exit. It is safe to call
// more than once and before the epoch is consumed.
func (it *Iterator) Close() error {
	it.closed = true
	it.stop()
	return nil
}

func (it *Iterator) stop() {
	it.once.Do(func() { close(it.done) })
	it.wg.Wait()
}

// build decodes and augments batch b. Each sample gets its own RNG derived
// from (Seed, epoch, sample index in the input slice), so results do not
// depend on which goroutine runs it.
func (it *Iterator) build(b int) (*Batch, error) {
	lo := b * it.cfg.BatchSize
	hi := min(lo+it.cfg.BatchSize, len(it.order))
	bt := &Batch{N: hi - lo, Index: b}
	for k, idx := range it.order[lo:hi] {
		s := it.samples[idx]
		l := it.cfg.Logger
		if l == nil {
			l = log()
		}
		img, mask, err := loadSample(s, l)
		if err != nil {
			return nil, err
		}
		rng := newRand(uint64(it.cfg.Seed), uint64(it.epoch), uint64(idx), 0x617567) // "aug"
		var strong *Image
		if it.cfg.Strong != nil {
			img, strong, err = it.cfg.Augment.AugmentViews(img, *it.cfg.Strong, rng)
		} else {
			img, mask, err = it.cfg.Augment.Augment(img, mask, rng)
		}
		if err != nil {
			return nil, errorf("sample %s: %v", s.Name, err)
		}
		it.cfg.Normalize.Apply(img)
		if strong != nil {
			it.cfg.Normalize.Apply(strong)
			if k == 0 {
				bt.Strong = make([]float32, 0, bt.N*img.H*img.W)
			}
			bt.Strong = append(bt.Strong, strong.Pix...)
		}
		if k == 0 {
			bt.H, bt.W = img.H, img.W
			bt.Images = make([]float32, 0, bt.N*img.H*img.W)
			if mask != nil {
				bt.Masks = make([]float32, 0, bt.N*img.H*img.W)
			}
		} else if img.H != bt.H || img.W != bt.W {
			return nil, errorf("batch %d: sample %s is %s but sample %s is %dx%d; set Augment.CropSize or BatchSize 1",
				b, s.Name, img.Size(), bt.Names[0], bt.W, bt.H)
		}
		bt.Images = append(bt.Images, img.Pix...)
		if mask != nil {
			bt.Masks = append(bt.Masks, mask.Pix...)
		}
		bt.Names = append(bt.Names, s.Name)
	}
	return bt, nil
}

// Sequential returns an iterator over samples in order, one full-size sample
// per batch, without augmentation: for validation and test sets whose images
// may differ in size.
func Sequential(samples []Sample, norm Normalization) (*Iterator, error) {
	return NewIterator(samples, IteratorConfig{BatchSize: 1, Normalize: norm}, 0)
}
