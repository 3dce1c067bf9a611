package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
)

// Modes.
const (
	modeAnon         = "anon"
	modeAssumeRole   = "assume-role"
	modeWebIdentity  = "web-identity"
	modeClientGrants = "client-grants"
	modeGet          = "get"
	modePut          = "put"
	modeLargePut     = "large-put"
	modeLargeGet     = "large-get"
	modeFloor        = "floor"
)

// modeInfo is what the bench needs to know about a mode.
type modeInfo struct {
	object    bool // moves object bytes: -size, -keys, MiB/s
	large     bool // through the s3 transfer manager, one object at a time
	federated bool // needs an OpenID token
}

var modes = map[string]modeInfo{
	modeAnon:         {},
	modeAssumeRole:   {},
	modeWebIdentity:  {federated: true},
	modeClientGrants: {federated: true},
	modeGet:          {object: true},
	modePut:          {object: true},
	modeLargePut:     {object: true, large: true},
	modeLargeGet:     {object: true, large: true},
	modeFloor:        {},
}

func modeNames() []string {
	names := make([]string, 0, len(modes))
	for n := range modes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// workload is one mode set up against one target.
type workload interface {
	// do performs one operation and returns the object bytes it moved. A
	// response other than the expected one is an error (*statusError).
	do(ctx context.Context) (int64, error)
}

// setup prepares tg for the mode, outside any measured window, and
// returns the workload. token is the OpenID token of the federated modes.
func (b *bench) setup(ctx context.Context, tg *target, token string) (workload, error) {
	o := &b.opts
	if tg.floor {
		// The floor answers 403 to everything: it gets the same requests,
		// signed the same way, and needs nothing set up.
		if modes[o.mode].large {
			return nil, fmt.Errorf("%s: the floor server takes request modes only, not %s", tg.label(), o.mode)
		}
		if token == "" {
			token = "floor"
		}
		return newRequestWork(o, tg, tg.creds, token, b.payload()), nil
	}
	creds := tg.creds
	if modes[o.mode].object && o.keys == keysTemp {
		var err error
		if creds, err = assumeRole(ctx, tg, 3600); err != nil {
			return nil, fmt.Errorf("%s: temporary keys for -keys temp: %w", tg.label(), err)
		}
	}
	switch o.mode {
	case modeGet, modePut, modeLargePut, modeLargeGet:
		if err := createBucket(ctx, tg, creds); err != nil {
			return nil, fmt.Errorf("%s: %w", tg.label(), err)
		}
	}
	switch o.mode {
	case modeLargePut, modeLargeGet:
		return newLargeWork(ctx, o, tg, creds, b.payload())
	case modeGet:
		data := b.payload()
		if err := putObject(ctx, tg, creds, getKey(o.size), data); err != nil {
			return nil, fmt.Errorf("%s: putting the object to get: %w", tg.label(), err)
		}
		return newRequestWork(o, tg, creds, token, nil), nil
	}
	return newRequestWork(o, tg, creds, token, b.payload()), nil
}

// payload is the object data of the mode: -size random bytes, made once
// and shared, read-only, by every target and worker.
func (b *bench) payload() []byte {
	if !modes[b.opts.mode].object {
		return nil
	}
	if int64(len(b.data)) != b.opts.size {
		b.data = make([]byte, b.opts.size)
		_, _ = rand.Read(b.data)
	}
	return b.data
}
