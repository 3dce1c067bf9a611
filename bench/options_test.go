package main

import (
	"io"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"4096", 4096, false},
		{"4KiB", 4 << 10, false},
		{"4K", 4 << 10, false},
		{"4KB", 4000, false},
		{"16MiB", 16 << 20, false},
		{"256mib", 256 << 20, false},
		{"1GiB", 1 << 30, false},
		{"", 0, true},
		{"KiB", 0, true},
		{"4XB", 0, true},
		{"-1", 0, true},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{4096: "4KiB", 256 << 20: "256MiB", 1 << 30: "1GiB", 1000: "1000B"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestParseOptions_Slots checks where started servers and the floor land.
func TestParseOptions_Slots(t *testing.T) {
	tests := []struct {
		args    string
		a, b    string
		wantErr string
	}{
		{args: "-start-sesame /d", a: "sesame"},
		{args: "-a floor -start-sesame /d", a: "floor", b: "sesame"},
		{args: "-mode floor", a: "floor"},
		{args: "-mode floor -start-sesame /d", a: "floor", b: "sesame"},
		{args: "-start-sesame /d -start-minio /bin/minio /m", a: "sesame", b: "minio"},
		{args: "-a minio -b sesame -start-sesame /d -start-minio /bin/minio", a: "minio", b: "sesame"},
		{args: "-a http://127.0.0.1:9000 -b floor", a: "http://127.0.0.1:9000", b: "floor"},
		{args: "-mode get", wantErr: "no target"},
		{args: "-b floor", wantErr: "-b without -a"},
		{args: "-a sesame", wantErr: "-start-sesame DIR is missing"},
		{args: "-a floor -b floor", wantErr: "both floor"},
		{args: "-a ftp://x", wantErr: "not a URL"},
		{args: "-a http://x -b floor -start-sesame /d", wantErr: "both -a and -b are taken"},
		{args: "-a http://x -mode web-identity", wantErr: "needs -token"},
		{args: "-a floor -mode nope", wantErr: "unknown -mode"},
		{args: "-a floor -mode large-put -part-size 1MiB", wantErr: "at least 5MiB"},
		{args: "-a floor stray", wantErr: "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			o, err := parseOptions(strings.Fields(tt.args), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.slots[0].spec != tt.a || o.slots[1].spec != tt.b {
				t.Errorf("A, B = %q, %q; want %q, %q", o.slots[0].spec, o.slots[1].spec, tt.a, tt.b)
			}
		})
	}
}

func TestParseOptions_MinioDir(t *testing.T) {
	o, err := parseOptions(strings.Fields("-start-minio /bin/minio /data/m -mode get -d 1s"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.minioBin != "/bin/minio" || o.minioDir != "/data/m" || o.mode != modeGet {
		t.Errorf("minio %q on %q, mode %q", o.minioBin, o.minioDir, o.mode)
	}
}

func TestParseOptions_SizeDefaults(t *testing.T) {
	for args, want := range map[string]int64{
		"-a floor -mode get":                   4 << 10,
		"-start-sesame /d -mode large-get":     256 << 20,
		"-start-sesame /d -mode put -size 1MB": 1000 * 1000,
	} {
		o, err := parseOptions(strings.Fields(args), io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		if o.size != want {
			t.Errorf("%s: size %d, want %d", args, o.size, want)
		}
	}
}

func TestCommandLine(t *testing.T) {
	got := commandLine([]string{"/tmp/go-build123/b001/exe/bench", "-a", "floor", "-token", "a b'c"})
	want := `go run ./bench -a floor -token 'a b'\''c'`
	if got != want {
		t.Errorf("commandLine = %s, want %s", got, want)
	}
	if got := commandLine([]string{"./bench", "-mode", "get"}); got != "./bench -mode get" {
		t.Errorf("commandLine = %s", got)
	}
}
