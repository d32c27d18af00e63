package mallocenv

import "strconv"

// The setting.
const (
	MmapThreshold = 1 << 30   // blocks up to 1 GiB come from the heap
	TrimThreshold = 1<<31 - 1 // freed memory stays in the process
	TopPad        = 256 << 20 // the heap grows in 256 MiB steps
	ArenaMax      = 1         // threads share the main arena
)

// Settings is the setting as mallopt parameters, for logs:
// "M_MMAP_THRESHOLD=1073741824", ...
func Settings() []string {
	return []string{
		"M_MMAP_THRESHOLD=" + strconv.Itoa(MmapThreshold),
		"M_TRIM_THRESHOLD=" + strconv.Itoa(TrimThreshold),
		"M_TOP_PAD=" + strconv.Itoa(TopPad),
		"M_ARENA_MAX=" + strconv.Itoa(ArenaMax),
	}
}

// Env is the setting as glibc's environment variables, for a child
// process: "MALLOC_MMAP_THRESHOLD_=1073741824", ...
func Env() []string {
	return []string{
		"MALLOC_MMAP_THRESHOLD_=" + strconv.Itoa(MmapThreshold),
		"MALLOC_TRIM_THRESHOLD_=" + strconv.Itoa(TrimThreshold),
		"MALLOC_TOP_PAD_=" + strconv.Itoa(TopPad),
		"MALLOC_ARENA_MAX=" + strconv.Itoa(ArenaMax),
	}
}
