package httpx

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// LogHandler returns h with the request id of each record's context (the
// id Wrap gave the request) added as the attribute request_id, so that a
// line logged with a request's context (Logger.ErrorContext(r.Context(),
// ...)) names its request.
func LogHandler(h slog.Handler) slog.Handler { return ctxHandler{h} }

type ctxHandler struct{ slog.Handler }

func (h ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h ctxHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ctxHandler{h.Handler.WithAttrs(attrs)}
}

func (h ctxHandler) WithGroup(name string) slog.Handler { return ctxHandler{h.Handler.WithGroup(name)} }

// LogFile is a buffered log destination for the access log: writes go to
// a buffer, which is flushed when full, every flush interval, and on Flush
// and Close; Reopen lets logrotate move the file (SIGHUP). Writes are
// serialized, so one LogFile may back several slog handlers.
type LogFile struct {
	path string // "" for standard error
	mu   sync.Mutex
	f    *os.File
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// logBufferSize is the LogFile buffer: some 400 access log lines.
const logBufferSize = 64 << 10

// StderrLog names standard error as a LogFile's destination.
const StderrLog = "stderr"

// OpenLogFile opens path for appending (created 0640), or standard error
// when path is StderrLog or "-", and flushes it every flushEvery (default
// one second).
func OpenLogFile(path string, flushEvery time.Duration) (*LogFile, error) {
	if flushEvery <= 0 {
		flushEvery = time.Second
	}
	l := &LogFile{stop: make(chan struct{}), done: make(chan struct{})}
	if path == StderrLog || path == "-" {
		l.f = os.Stderr
	} else {
		f, err := openAppend(path)
		if err != nil {
			return nil, err
		}
		l.path, l.f = path, f
	}
	l.w = bufio.NewWriterSize(l.f, logBufferSize)
	go l.flusher(flushEvery)
	return l, nil
}

func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("log file: %w", err)
	}
	return f, nil
}

func (l *LogFile) flusher(every time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			_ = l.Flush()
		}
	}
}

// Write buffers p.
func (l *LogFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return 0, os.ErrClosed
	}
	return l.w.Write(p)
}

// Flush writes what is buffered.
func (l *LogFile) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		return nil
	}
	return l.w.Flush()
}

// Reopen flushes the buffer into the file now at its path and opens the
// path again, so that a file moved away by logrotate is let go of. It does
// nothing for standard error.
func (l *LogFile) Reopen() error {
	if l.path == "" {
		return l.Flush()
	}
	f, err := openAppend(l.path)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w == nil {
		f.Close()
		return os.ErrClosed
	}
	ferr := l.w.Flush()
	old := l.f
	l.f = f
	l.w.Reset(f)
	return errors.Join(ferr, old.Close())
}

// Close flushes the buffer, stops the flusher and closes the file.
func (l *LogFile) Close() error {
	l.mu.Lock()
	if l.w == nil {
		l.mu.Unlock()
		return nil
	}
	err := l.w.Flush()
	l.w = nil
	if l.path != "" {
		err = errors.Join(err, l.f.Close())
	}
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	return err
}
