package interop

import "runtime/debug"

// Version returns the dskd version this binary was built from, for the
// files' metadata: the module version when dskd is a dependency, else the
// VCS revision of a build from a checkout (with "+dirty" when modified),
// else "devel".
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	const module = "github.com/angioseg/dskd"
	for _, dep := range info.Deps {
		if dep.Path == module && dep.Version != "" && dep.Version != "(devel)" {
			return dep.Version
		}
	}
	if info.Main.Path == module && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return "devel-" + rev
}
