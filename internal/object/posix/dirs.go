package posix

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Directories of a bucket are opened one level at a time, each through the
// handle of its parent, and never through a symbolic link: a key whose
// directory part crosses a link does not exist (reads) or is in the way
// (writes). This costs a few system calls per level, as os.Root's own walk
// does, and keeps every operation on a key to the directories a listing
// would walk.

// errNotDir is the cause of a path error for a directory component that is a
// symbolic link or not a directory. absent and inTheWay both accept it.
var errNotDir = syscall.ENOTDIR

// openSubdir opens the directory name of dir. A symbolic link, or anything
// else that is not a directory, fails with errNotDir; a link swapped in
// between the check and the open is detected and refused the same way.
func openSubdir(dir *os.Root, name string) (*os.Root, fs.FileInfo, error) {
	fi, err := dir.Lstat(name)
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() {
		return nil, nil, &fs.PathError{Op: "open", Path: name, Err: errNotDir}
	}
	sub, err := dir.OpenRoot(name)
	if err != nil {
		return nil, nil, err
	}
	st, err := sub.Stat(".")
	if err != nil || !os.SameFile(fi, st) {
		sub.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: name, Err: errNotDir}
	}
	return sub, st, nil
}

// dirChain is the directories from a bucket down to one of its
// directories, each opened by openSubdir.
type dirChain struct {
	bucket *os.Root   // the bucket directory; not closed by close
	subs   []*os.Root // subs[i] is the directory named by segs[:i+1]
	segs   []string
}

// openDirs opens the directory dir of a bucket (a slash-separated path
// relative to the bucket, "" for the bucket itself). With create, missing
// directories are made, and the parent of each is fsynced so a durable file
// below is never lost with a directory entry above it.
func (b *Backend) openDirs(root *os.Root, bucket, dir string, create bool) (*dirChain, error) {
	c := &dirChain{bucket: root}
	if dir == "" {
		return c, nil
	}
	for seg := range strings.SplitSeq(dir, "/") {
		parent := c.last()
		sub, _, err := openSubdir(parent, seg)
		if create && errors.Is(err, fs.ErrNotExist) {
			err = parent.Mkdir(seg, dirMode)
			if err == nil {
				b.lists.bump(bucket, c.dirKey())
				err = syncRoot(parent)
			} else if errors.Is(err, fs.ErrExist) {
				err = nil // created concurrently
			}
			if err == nil {
				sub, _, err = openSubdir(parent, seg)
			}
		}
		if err != nil {
			c.close()
			return nil, err
		}
		c.subs = append(c.subs, sub)
		c.segs = append(c.segs, seg)
	}
	return c, nil
}

// last returns the deepest directory of the chain.
func (c *dirChain) last() *os.Root {
	if len(c.subs) == 0 {
		return c.bucket
	}
	return c.subs[len(c.subs)-1]
}

// parent returns the directory holding segs[i].
func (c *dirChain) parent(i int) *os.Root {
	if i == 0 {
		return c.bucket
	}
	return c.subs[i-1]
}

// dirKey returns the key prefix of the chain's deepest directory: "" for
// the bucket, else its path and a trailing "/".
func (c *dirChain) dirKey() string {
	return dirKeyOf(strings.Join(c.segs, "/"))
}

func (c *dirChain) close() {
	for _, s := range c.subs {
		s.Close()
	}
	c.subs = nil
}

// dirKeyOf turns a slash path relative to the bucket into a key prefix: ""
// stays "", anything else gains a trailing "/".
func dirKeyOf(dir string) string {
	if dir == "" {
		return ""
	}
	return dir + "/"
}

// syncRoot fsyncs the directory behind a handle.
func syncRoot(dir *os.Root) error {
	d, err := dir.Open(".")
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// dataInfo returns the file info of the data of the object name in dir
// (whose key is key): a regular file, or the regular file that a relative
// symbolic link leads to inside the bucket. Anything else is reported as
// fs.ErrNotExist. An absolute link is not followed: its meaning would change
// with where the data directory is mounted, and os.Root refuses it anyway.
func dataInfo(root, dir *os.Root, name, key string) (fs.FileInfo, error) {
	fi, err := dir.Lstat(name)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := dir.Readlink(name)
		if err != nil {
			return nil, err
		}
		if filepath.IsAbs(target) {
			return nil, &fs.PathError{Op: "stat", Path: key, Err: fs.ErrNotExist}
		}
		if fi, err = root.Stat(dataRel(key)); err != nil {
			return nil, err
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "stat", Path: key, Err: fs.ErrNotExist}
	}
	return fi, nil
}

// openData opens the data of the object name in dir, following the rules
// of dataInfo, and returns it with its info.
func openData(root, dir *os.Root, name, key string) (*os.File, fs.FileInfo, error) {
	fi, err := dir.Lstat(name)
	if err != nil {
		return nil, nil, err
	}
	var f *os.File
	switch {
	case fi.Mode().IsRegular():
		// O_NONBLOCK keeps a FIFO swapped in meanwhile from blocking the
		// open; it has no effect on regular files, the only kind served.
		f, err = dir.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	case fi.Mode()&fs.ModeSymlink != 0:
		var target string
		if target, err = dir.Readlink(name); err == nil && filepath.IsAbs(target) {
			err = &fs.PathError{Op: "open", Path: key, Err: fs.ErrNotExist}
		}
		if err == nil {
			f, err = root.OpenFile(dataRel(key), os.O_RDONLY|syscall.O_NONBLOCK, 0)
		}
	default:
		err = &fs.PathError{Op: "open", Path: key, Err: fs.ErrNotExist}
	}
	if err != nil {
		return nil, nil, err
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = &fs.PathError{Op: "open", Path: key, Err: fs.ErrNotExist}
		}
		return nil, nil, err
	}
	return f, fi, nil
}
