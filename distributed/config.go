package distributed

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/angioseg/dskd/internal/option"
)

// Backends.
const (
	Gloo = "gloo" // CPU tensors (and CUDA ones, through the host)
	NCCL = "nccl" // CUDA tensors
)

// Defaults of Config.
const (
	DefaultMasterAddr = "127.0.0.1"
	DefaultMasterPort = 29500
	DefaultTimeout    = 30 * time.Minute
)

// Config places one process in a distributed run. The zero value is not a
// distributed run (WorldSize 0 means 1); each field's default is in its
// comment.
type Config struct {
	Rank      int // this process, 0 .. WorldSize-1; rank 0 validates, logs and writes the run folder
	WorldSize int // number of processes; default 1 (no distribution)
	// LocalRank is the rank on this server: the GPU a CUDA run takes
	// (cuda:LocalRank). Default -1 means Rank.
	LocalRank int
	// LocalWorldSize is the number of ranks on this server; the trainer
	// shares the server's cores among them when Config.Threads is 0.
	// Default 0: unknown (each rank takes all cores).
	LocalWorldSize int
	MasterAddr     string // rank 0's address; default DefaultMasterAddr
	MasterPort     int    // rank 0's rendezvous port; default DefaultMasterPort
	// Backend is Gloo or NCCL; default "": NCCL on CUDA, Gloo on CPU.
	Backend string
	// Timeout bounds every wait for the other ranks (the rendezvous, each
	// collective, the wait while rank 0 validates); default DefaultTimeout.
	Timeout time.Duration
}

// Enabled reports whether c describes more than one process.
func (c *Config) Enabled() bool { return c != nil && c.WorldSize > 1 }

// WithDefaults returns c with zero fields set to their defaults,
// validated.
func (c Config) WithDefaults() (Config, error) {
	option.Default(&c.WorldSize, 1)
	if c.LocalRank < 0 {
		c.LocalRank = c.Rank
	}
	option.Default(&c.MasterAddr, DefaultMasterAddr)
	option.Default(&c.MasterPort, DefaultMasterPort)
	option.Default(&c.Timeout, DefaultTimeout)
	switch {
	case c.WorldSize < 1:
		return c, fmt.Errorf("dist: world size %d: must be >= 1", c.WorldSize)
	case c.Rank < 0 || c.Rank >= c.WorldSize:
		return c, fmt.Errorf("dist: rank %d: must lie in 0..%d (world size %d)", c.Rank, c.WorldSize-1, c.WorldSize)
	case c.LocalRank < 0:
		return c, fmt.Errorf("dist: local rank %d: must be >= 0", c.LocalRank)
	case c.LocalWorldSize < 0:
		return c, fmt.Errorf("dist: local world size %d: must be >= 0", c.LocalWorldSize)
	case c.MasterPort < 1 || c.MasterPort > 65535:
		return c, fmt.Errorf("dist: master port %d: must lie in 1..65535", c.MasterPort)
	case c.Backend != "" && c.Backend != Gloo && c.Backend != NCCL:
		return c, fmt.Errorf("dist: backend %q: want %q or %q", c.Backend, Gloo, NCCL)
	case c.Timeout < 0:
		return c, fmt.Errorf("dist: timeout %v: must be > 0", c.Timeout)
	}
	return c, nil
}

// Environment variables (torchrun's, and dskd's own for what torchrun has
// none).
const (
	EnvRank       = "RANK"
	EnvWorldSize  = "WORLD_SIZE"
	EnvLocalRank  = "LOCAL_RANK"
	EnvLocalWorld = "LOCAL_WORLD_SIZE"
	EnvMasterAddr = "MASTER_ADDR"
	EnvMasterPort = "MASTER_PORT"
	EnvBackend    = "DSKD_DIST_BACKEND"
	EnvTimeout    = "DSKD_DIST_TIMEOUT"
)

// FromEnv reads a Config from the environment (see the package doc). It
// returns nil when WORLD_SIZE is unset or 1: not a distributed run.
func FromEnv() (*Config, error) { return fromEnv(os.Getenv) }

func fromEnv(getenv func(string) string) (*Config, error) {
	ws := getenv(EnvWorldSize)
	if ws == "" || ws == "1" {
		return nil, nil
	}
	c := Config{LocalRank: -1, MasterAddr: getenv(EnvMasterAddr), Backend: getenv(EnvBackend)}
	ints := []struct {
		name string
		dst  *int
		need bool
	}{{EnvWorldSize, &c.WorldSize, true}, {EnvRank, &c.Rank, true}, {EnvLocalRank, &c.LocalRank, false}, {EnvLocalWorld, &c.LocalWorldSize, false}, {EnvMasterPort, &c.MasterPort, false}}
	for _, v := range ints {
		s := getenv(v.name)
		if s == "" {
			if v.need {
				return nil, fmt.Errorf("dist: %s=%s but %s is not set", EnvWorldSize, ws, v.name)
			}
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("dist: %s=%q: not an integer", v.name, s)
		}
		*v.dst = n
	}
	if s := getenv(EnvTimeout); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("dist: %s=%q: want a positive Go duration such as 10m", EnvTimeout, s)
		}
		c.Timeout = d
	}
	c, err := c.WithDefaults()
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Environ returns the environment variables that make FromEnv return c
// (what a launcher gives each rank).
func (c Config) Environ() []string {
	env := []string{
		EnvRank + "=" + strconv.Itoa(c.Rank),
		EnvWorldSize + "=" + strconv.Itoa(c.WorldSize),
		EnvLocalRank + "=" + strconv.Itoa(c.LocalRank),
		EnvLocalWorld + "=" + strconv.Itoa(c.LocalWorldSize),
		EnvMasterAddr + "=" + c.MasterAddr,
		EnvMasterPort + "=" + strconv.Itoa(c.MasterPort),
	}
	if c.Backend != "" {
		env = append(env, EnvBackend+"="+c.Backend)
	}
	if c.Timeout > 0 {
		env = append(env, EnvTimeout+"="+c.Timeout.String())
	}
	return env
}

// Address is MasterAddr:MasterPort.
func (c Config) Address() string { return net.JoinHostPort(c.MasterAddr, strconv.Itoa(c.MasterPort)) }

// FreePort asks the system for a TCP port that is free on host now (a
// launcher's default master port, tests).
func FreePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("dist: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
