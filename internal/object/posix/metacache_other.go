//go:build !linux

package posix

// metaCache caches nothing outside Linux, where the stat fields it checks
// are not portable.
type metaCache struct{}

// readMetaFile reads and decodes the meta file at p.
func (b *Backend) readMetaFile(p string) (objectMeta, bool) {
	data, err := readSmall(p)
	if err != nil {
		return objectMeta{}, false
	}
	return decodeMeta(data)
}
