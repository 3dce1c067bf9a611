package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// errUsage is returned (wrapped) for bad command-line usage; the flag set
// has printed why.
var errUsage = errors.New("usage")

// Target specs besides URLs: servers the bench starts itself.
const (
	specSesame = "sesame"
	specMinio  = "minio"
	specFloor  = "floor"
)

// slot is what -a or -b names.
type slot struct {
	spec   string // URL, "sesame", "minio" or "floor"
	key    string
	secret string
	pid    int
}

// options are the parsed command line.
type options struct {
	mode     string
	size     int64
	keys     string // "static" or "temp"
	partSize int64
	threads  int
	workers  int
	duration time.Duration
	count    int64
	runs     int
	markdown bool
	token    string
	region   string

	slots     [2]slot
	sesameDir string
	sesameBin string
	minioBin  string
	minioDir  string
}

// Key modes for get, put and the large modes.
const (
	keysStatic = "static"
	keysTemp   = "temp"
)

const usageText = `Usage: go run ./bench [flags] [-start-minio BIN [DIR]]

Targets (one or two; A and B runs are interleaved):
  -a URL|floor|sesame|minio    target A; -b likewise for target B
  -start-sesame DIR            build and start a Sesame server on DIR (first free slot)
  -start-minio BIN [DIR]       start a MinIO binary on DIR (default a temp dir)

Modes: anon, assume-role, web-identity, client-grants, get, put,
       large-put, large-get, floor (anon against the built-in floor server)

Flags:
`

func parseOptions(args []string, stderr io.Writer) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	for i, name := range []string{"a", "b"} {
		s := &o.slots[i]
		fs.StringVar(&s.spec, name, "", "target "+strings.ToUpper(name)+": an endpoint `URL`, or floor, sesame or minio (started by the bench)")
		fs.StringVar(&s.key, name+"-key", "admin", "access key of target "+strings.ToUpper(name)+" (root user of a started server)")
		fs.StringVar(&s.secret, name+"-secret", "adminsecret", "secret key of target "+strings.ToUpper(name))
		fs.IntVar(&s.pid, name+"-pid", 0, "`PID` of target "+strings.ToUpper(name)+"'s server process, for server CPU per operation")
	}
	fs.StringVar(&o.sesameDir, "start-sesame", "", "start a Sesame server on data `DIR` (built from ./cmd/sesame unless -sesame-bin)")
	fs.StringVar(&o.sesameBin, "sesame-bin", "", "Sesame `binary` for -start-sesame instead of building ./cmd/sesame")
	fs.StringVar(&o.minioBin, "start-minio", "", "start a MinIO `binary`; an argument after it is its data DIR")
	fs.StringVar(&o.minioDir, "minio-dir", "", "data `DIR` for -start-minio (default a temporary directory)")
	fs.StringVar(&o.mode, "mode", "get", "what to send: "+strings.Join(modeNames(), ", "))
	size := sizeFlag{}
	fs.Var(&size, "size", "object `size` for get, put (default 4KiB) and the large modes (default 256MiB)")
	partSize := sizeFlag{n: 16 << 20}
	fs.Var(&partSize, "part-size", "part `size` of the large modes")
	fs.IntVar(&o.threads, "threads", 8, "parts in flight at once in the large modes")
	fs.StringVar(&o.keys, "keys", keysStatic, "get, put and large modes sign with the static keys or with temporary ones from AssumeRole (static|temp)")
	fs.IntVar(&o.workers, "c", 16, "concurrent workers (the large modes transfer one object at a time)")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "duration of each run")
	fs.Int64Var(&o.count, "n", 0, "operations per run instead of -d")
	fs.IntVar(&o.runs, "runs", 3, "runs per target")
	fs.BoolVar(&o.markdown, "md", false, "print a Markdown table")
	fs.StringVar(&o.token, "token", "", "JWT for web-identity and client-grants (default: minted by the built-in OpenID provider)")
	fs.StringVar(&o.region, "region", "us-east-1", "region requests are signed for")

	// MinIO's data directory may follow -start-minio as an argument, so
	// parse again after each argument.
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return o, fmt.Errorf("%w: %w", errUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		if o.minioBin == "" || o.minioDir != "" {
			fs.Usage()
			return o, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
		}
		o.minioDir = fs.Arg(0)
		rest = fs.Args()[1:]
	}
	o.partSize = partSize.n
	if err := o.resolve(size); err != nil {
		return o, err
	}
	return o, nil
}

// resolve checks the options and fills in what depends on the mode.
func (o *options) resolve(size sizeFlag) error {
	info, ok := modes[o.mode]
	if !ok {
		return fmt.Errorf("unknown -mode %q; one of %s", o.mode, strings.Join(modeNames(), ", "))
	}
	switch {
	case size.set:
		o.size = size.n
	case info.large:
		o.size = 256 << 20
	default:
		o.size = 4 << 10
	}
	if info.object && o.size <= 0 {
		return errors.New("-size must be positive")
	}
	if o.keys != keysStatic && o.keys != keysTemp {
		return fmt.Errorf("-keys %q: static or temp", o.keys)
	}
	if info.large && o.partSize < 5<<20 {
		return errors.New("-part-size must be at least 5MiB (S3's smallest part)")
	}
	if o.threads < 1 || o.workers < 1 || o.runs < 1 {
		return errors.New("-threads, -c and -runs must be at least 1")
	}
	if o.count < 0 || (o.count == 0 && o.duration <= 0) {
		return errors.New("give a positive -d or -n")
	}
	if info.large {
		o.workers = 1
	}

	// Fill the slots: the floor first for -mode floor, then the servers
	// to start, each in the first free slot unless named.
	named := func(spec string) bool { return o.slots[0].spec == spec || o.slots[1].spec == spec }
	place := func(spec, flagName string) error {
		if named(spec) {
			return nil
		}
		for i := range o.slots {
			if o.slots[i].spec == "" {
				o.slots[i].spec = spec
				return nil
			}
		}
		return fmt.Errorf("%s: both -a and -b are taken", flagName)
	}
	if o.mode == modeFloor && !named(specFloor) {
		if err := place(specFloor, "-mode floor"); err != nil {
			return err
		}
	}
	if o.sesameDir != "" {
		if err := place(specSesame, "-start-sesame"); err != nil {
			return err
		}
	}
	if o.minioBin != "" {
		if err := place(specMinio, "-start-minio"); err != nil {
			return err
		}
	}
	if o.slots[0].spec == "" {
		if o.slots[1].spec != "" {
			return errors.New("-b without -a")
		}
		return errors.New("no target: give -a URL, -start-sesame DIR, -start-minio BIN or -a floor")
	}
	if o.slots[0].spec == o.slots[1].spec {
		return fmt.Errorf("-a and -b are both %s", o.slots[0].spec)
	}
	for i, s := range o.slots {
		switch {
		case s.spec == "":
		case s.spec == specSesame && o.sesameDir == "":
			return fmt.Errorf("target %s is sesame but -start-sesame DIR is missing", slotName(i))
		case s.spec == specMinio && o.minioBin == "":
			return fmt.Errorf("target %s is minio but -start-minio BIN is missing", slotName(i))
		case s.spec == specSesame, s.spec == specMinio, s.spec == specFloor:
		case strings.HasPrefix(s.spec, "http://"), strings.HasPrefix(s.spec, "https://"):
			if info.federated && o.token == "" {
				return fmt.Errorf("-mode %s against %s needs -token: the built-in OpenID provider is known only to servers the bench starts", o.mode, s.spec)
			}
		default:
			return fmt.Errorf("target %s: %q is not a URL, floor, sesame or minio", slotName(i), s.spec)
		}
	}
	return nil
}

// describe says what is measured, for the table's heading.
func (o *options) describe() string {
	info := modes[o.mode]
	var b strings.Builder
	fmt.Fprintf(&b, "mode %s", o.mode)
	if info.object {
		fmt.Fprintf(&b, ", size %s, %s keys", formatSize(o.size), o.keys)
	}
	if info.large {
		fmt.Fprintf(&b, ", part size %s, %d threads", formatSize(o.partSize), o.threads)
	} else {
		fmt.Fprintf(&b, ", %d workers", o.workers)
	}
	if o.count > 0 {
		fmt.Fprintf(&b, ", %d ops", o.count)
	} else {
		fmt.Fprintf(&b, ", %s", o.duration)
	}
	fmt.Fprintf(&b, " per run, %d runs", o.runs)
	return b.String()
}

// slotName is "A" or "B".
func slotName(i int) string { return string(rune('A' + i)) }

// sizeFlag is a byte count written as 4096, 4KiB, 4KB, 16MiB, 1GiB, ...
type sizeFlag struct {
	n   int64
	set bool
}

func (s *sizeFlag) String() string {
	if s == nil || s.n == 0 {
		return ""
	}
	return formatSize(s.n)
}

func (s *sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	s.n, s.set = n, true
	return nil
}

// parseSize reads a byte count with an optional binary (KiB, MiB, GiB;
// also K, M, G) or decimal (KB, MB, GB) unit.
func parseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	i := len(s)
	for i > 0 && (s[i-1] < '0' || s[i-1] > '9') {
		i--
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	mult := map[string]int64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1000,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1000 * 1000,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1000 * 1000 * 1000,
	}[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || mult == 0 || n < 0 {
		return 0, fmt.Errorf("size %q: want a count of bytes such as 4096, 4KiB or 256MiB", v)
	}
	return n * mult, nil
}

// formatSize writes n in the largest binary unit that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// commandLine is the command as typed, for docs to quote: "go run ./bench"
// when run by go run, whose binary lives in a temporary build directory.
func commandLine(argv []string) string {
	prog := argv[0]
	if strings.Contains(prog, string(filepath.Separator)+"go-build") {
		prog = "go run ./bench"
	}
	parts := []string{prog}
	for _, a := range argv[1:] {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes a for a POSIX shell when it needs it.
func shellQuote(a string) string {
	if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,~") == "" {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

// machineLine says what the numbers were measured on.
func machineLine() string {
	load := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			load = strings.Join(f[:3], " ")
		}
	}
	return fmt.Sprintf("%d cores, %s, load average %s at start", numCPU(), goVersion(), load)
}
