package data

// Batch is a group of samples in NCHW layout with one channel:
// element (n, 0, y, x) is at index n*H*W + y*W + x.
type Batch struct {
	Images []float32 // len N*H*W; [0,1] unless normalised
	Masks  []float32 // len N*H*W, exactly 0 or 1; nil when the samples are unlabelled
	// Strong holds the student's (strong) views of unlabelled samples when
	// the iterator makes two views (IteratorConfig.Strong); Images then
	// holds the teacher's weak views, pixel for pixel. Else nil.
	Strong []float32
	N      int // samples in this batch (the last batch may be smaller unless DropLast)
	H, W   int
	Names  []string // Sample.Name of each sample, in batch order
	Index  int      // batch number within the epoch, from 0
}

// Shape returns the NCHW shape [N, 1, H, W].
func (b *Batch) Shape() []int64 { return []int64{int64(b.N), 1, int64(b.H), int64(b.W)} }
