// Package posix is Sesame's default object.Backend: buckets are directories
// and objects are plain files below a root directory, so the data stays
// usable by ordinary tools and files copied in by hand are served as
// objects.
//
// # Layout
//
//	ROOT/
//	  <bucket>/<key>                        object data, one plain file per key
//	  <bucket>/<dir>/                       folder marker "<dir>/" (see below)
//	  .sesame.sys/                          system folder (0700), never a bucket
//	    tmp/<random>                        files being written; emptied by Open
//	    meta/<bucket>/<meta path of key>    per-object JSON: etag, size, mtime, metadata
//	                                        (checksum included), part layout and upload ID
//	    multipart/<bucket>/<uploadID>/      upload.json, layout.json and data (parts
//	                                        written in place), <n> (spooled parts) and <n>.json
//	    buckets/<bucket>/bucket.json        creation time
//	    buckets/<bucket>/policy.json        bucket policy, stored as given
//	    buckets/<bucket>/config-<name>.xml  bucket configuration documents (object.BucketConfigs)
//	    versions/<bucket>/<meta path of key>/  noncurrent versions of a key: <versionID>.json
//	                                        (meta, key, order, delete marker) and <versionID> (data)
//	    locks/<n>                           lock files of the 256 key stripes (flock)
//
// A bucket is a top-level directory (not a symbolic link) whose name is a
// valid S3 bucket name: 3 to 63 bytes of [a-z0-9.-], starting and ending
// with a letter or digit, without "..". ListBuckets skips every other entry
// of ROOT, so the system folder (its name starts with a dot) is never one.
// CreateBucket rejects other names with ErrInvalidBucketName, so whatever it
// creates is listed. A directory made by hand is a bucket; its creation time
// is its modification time until Sesame records one.
//
// # Keys
//
// A key maps to the path ROOT/<bucket>/<key>. Keys that cannot map safely
// are rejected: "." or ".." segments, empty segments (except the trailing
// one of a folder marker), a leading "/", NUL bytes and segments over 255
// bytes fail with ErrInvalidKey; keys over MaxKeyLength bytes with
// ErrKeyTooLong. Because a path cannot be both a file and a directory, an
// object "a" cannot coexist with "a/b" nor with the folder marker "a/"
// (ErrKeyConflict, mapped from ENOTDIR, EISDIR, EEXIST and ENOTEMPTY).
//
// Every access to bucket data goes through an os.Root opened on the bucket
// directory, so a path can never leave the bucket, and the directories of a
// key are opened one level at a time through their parent's handle, never
// through a symbolic link (dirs.go). Symbolic links placed by hand follow
// one rule, which List, Get, Head, Put and Delete share:
//
//   - A relative link to a regular file inside the bucket is an object: it
//     is listed, and Get and Head serve its target's bytes as a foreign
//     file under the link's own key (ETag computed, Content-Type guessed
//     from the link's name, no user metadata).
//   - Every other link is not an object: absolute links (whose meaning
//     would change with where the data directory is mounted, and which
//     os.Root refuses), links leading out of the bucket, dangling links,
//     link loops and links to directories.
//   - No key goes through a linked directory: "loop/x", with loop -> ".",
//     does not exist, a Put below it fails with ErrKeyConflict and a Delete
//     below it removes nothing. Listings never descend into one, so link
//     cycles cannot trap them and no key is listed twice.
//   - A Put of a key that is a link replaces the link (rename over it); a
//     Delete of a key that is a served link removes the link. Targets are
//     never written or removed through a link.
//
// On Linux the final rename of a write uses renameat on the directory
// handle opened above, so a link swapped in meanwhile cannot redirect it;
// elsewhere the directory is re-checked by path just before the rename.
// FIFOs, sockets and devices are ignored.
//
// # Metadata
//
// The meta file of a key mirrors the key's path under meta/<bucket>, with
// names rewritten so that files and directories of the meta tree can never
// collide: a directory segment "d" becomes "d.d", the last segment "f"
// becomes "f.json", and a folder marker's meta file is ".json" inside the
// meta directory of its own directory. So "a/b" has meta/<bucket>/a.d/b.json
// and "a/" has meta/<bucket>/a.d/.json. A suffix alone on files would not do:
// the object "a" (meta "a.json") and the object "a.json/x" (meta directory
// "a.json") would collide. A segment too long for its suffix is replaced by
// its hex SHA-256 with the suffix ".hj" (file) or ".hd" (directory). Files
// end in ".json" or ".hj", directories in ".d" or ".hd", no string ends in
// two of these, and ".json" alone would need an empty segment: the five
// forms are disjoint.
//
// A meta file records the data file's size and modification time in
// nanoseconds, and is trusted only while both still match the data file.
// Otherwise it is stale (a crash between the data and meta renames, or a
// file changed by hand) and ignored entirely: the file is then "foreign",
// like any file without a meta file. A foreign file's ETag is computed by
// reading it (its MD5), its Content-Type guessed from its extension
// (mime.TypeByExtension, else application/octet-stream), and the result is
// cached as a fresh meta file, best effort, if the file is still the one
// read. A meta file without a data file is ignored too. Folder markers have
// no data file to compare with: their meta file is valid while their
// directory exists.
//
// Sesame stamps every file it writes with Options.Now as its modification
// time, which is the object's ModTime.
//
// An object's tags live in its meta file with the rest of its metadata.
// PutObjectTags (tagging.go) replaces them by writing a new meta file
// atomically under the key's write lock, after checking that the meta file
// is valid for the data file there (a foreign file gets its meta computed
// first): the data file is not touched, so the size and modification time
// the meta file records still match it, and a crash leaves the old tags or
// the new ones.
//
// # Folder markers
//
// A key ending in "/" with an empty body is a folder marker: the directory
// ROOT/<bucket>/<dir> plus its meta file. Data under such a key fails with
// ErrInvalidKey. A directory without a marker meta file is not an object:
// it exists only as the prefix of the objects below it, and an empty one
// (made by hand or left by a crash) is invisible to listings. Deleting a
// marker removes its meta file and its directory if empty; the objects below
// it stay.
//
// # Writes
//
// A write never leaves a partial file at a key. PutObject streams the body
// into a new file in .sesame.sys/tmp, computing the MD5 on the way and
// enforcing PutOptions.Size and MaxObjectSize (MaxPartSize for parts); on a
// size or digest mismatch, a body error or a canceled context the temp file
// is removed and nothing else changes. Otherwise the temp file is stamped,
// fsynced and renamed over the key (creating, and fsyncing the parents of,
// missing directories), the parent directory is fsynced, and then the meta
// file is written the same way (temp file, fsync, rename, fsync of its
// directory). The rename is the commit point: readers see the old object or
// the new one. A crash before it leaves only a temp file, which the next
// Open removes; a crash between the data and meta renames leaves a stale
// meta file, and the object is served as a foreign file (right bytes and
// ETag, guessed Content-Type, user metadata lost).
//
// Each key has a striped lock: the rename of the data and the write of its
// meta file happen under it, and readers open the file and read the meta
// under its read lock, so a reader never pairs one write's data with
// another's meta. Concurrent writers to one key each use their own temp
// file; the last rename wins.
//
// Writers (every commit, delete and Object Lock change) also hold the
// stripe's lock file, .sesame.sys/locks/<n>, with flock(2), taken after the
// in-process mutex (flock belongs to the open file, which the goroutines of
// one process share) and held from the check of the key's current state
// through the rename and the meta write. That makes conditional writes
// atomic across processes sharing the root: PutOptions.IfNoneMatch and
// IfMatch (filelock.go, versioning.go) are checked against the object at
// the key (its meta, or for a foreign file its MD5) under the lock, and a
// failed condition removes the temp file and changes nothing, so of
// concurrent If-None-Match: * writers exactly one wins. A stripe is shared
// by the keys that hash to it, which only serializes them. Where flock is
// missing (not Linux or a BSD) the file lock is a no-op. Open still empties
// the temp folder, so a second process on a root must be started before
// the first has writes in flight, or on a separate temp folder.
//
// # Versions
//
// With PutOptions.Versioning (the bucket's state, kept by the S3 layer) a
// commit keeps what it replaces. The current version of a key is always
// the plain file at its path with its meta file, as without versioning, so
// files copied in by hand are still objects (their version ID is "null").
// Before the new file is renamed over the key, under the key's locks, the
// current one is kept as a noncurrent version: a hard link to its data
// (linkat on the directory handle; a served symbolic link is copied) at
// versions/<bucket>/<meta path>/<versionID>, then its meta file
// <versionID>.json there (written like every meta file). Readers always
// find the key's data; a crash between the link and the rename leaves the
// current version listed twice, and listings count it once. Enabled gives
// the new version a fresh ID (16 hex digits of a sequence number that
// orders the key's versions, then 16 random hex digits); Suspended gives
// it "null", and removes a noncurrent null version afterwards. A delete
// without version ID keeps the current version the same way, writes a
// delete marker (a meta file without data) and removes the file at the
// key. A delete by version ID removes that version for good; when the
// current one goes, the newest noncurrent version becomes current again
// (a second link placed at the key, its meta written, and only then the
// noncurrent copy removed) unless it is a delete marker. GetObjectVersion
// and HeadObjectVersion serve the current file when the ID is its own and
// the noncurrent copy otherwise. ListObjectVersions merges a page of the
// current objects with the keys found below the prefix in the versions
// folder (each folder's key is read from one of its meta files, as hashed
// names cannot be reversed), so its cost grows with the number of keys that
// have noncurrent versions. A bucket holding a noncurrent version or a
// delete marker is not empty; DeleteBucket and CreateBucket remove the
// bucket's versions folder with its other state. Folder markers are not
// versioned. A version's Object Lock state lives in its metadata;
// UpdateObjectLock rewrites the meta file of the current or noncurrent
// version under the key's locks, and DeleteOptions.Allow sees a version
// before a delete by ID removes it.
//
// # Deletes
//
// DeleteObject removes the data file and then the meta file, and then the
// parent directories left empty, up to but not including the bucket
// directory, in both trees; a directory that is a folder marker stays.
// Removing a directory takes the locks of the object and of the folder
// marker it could be, so it never races a write that needs it; a write that
// finds its fresh parent gone creates it again.
//
// DeleteBucket fails with ErrBucketNotEmpty while the bucket holds an
// object (a file or a folder marker); empty directories do not count and are
// removed with it. In-progress multipart uploads do not block it: they are
// removed with the bucket, as are its metadata and policy. CreateBucket
// first discards any such state left by a bucket of the same name removed
// by hand, so a new bucket never inherits an old policy.
//
// # Listing
//
// ListObjects walks the bucket in S3 key order. It starts in the directory
// named by Prefix up to its last "/" (an absent or linked directory lists
// nothing) and visits each directory's entries sorted by name with "/"
// appended to directories, so that "a-b" < "a/x" < "a0" as in S3's byte
// order. In each directory it starts at the first entry that can matter
// (from Prefix, After and the last common prefix), skips by binary search
// the entries a new common prefix covers, and stops past Prefix. With
// Delimiter "/" directories are not entered: each becomes a common prefix
// if it holds at least one object (hasObjectAt, which reads a batch of
// entries at a time and stops at the first object, so its memory is a batch
// per level). With another delimiter, or none, the walk descends and applies
// the delimiter to full keys. The walk stops once MaxKeys entries are
// collected and one more is found (IsTruncated). Object info comes from the
// meta files, read for up to describeWorkers keys at once; listing foreign
// files computes their MD5 once.
//
// A directory's sorted entries come from the listing cache (cache.go) when
// it can share them, so that a page costs a binary search and its own
// entries, not a read and sort of the directory; 64 concurrent pages of one
// directory share one copy. A listing is shared only while it is known to
// be current, which must hold for files changed by hand too:
//
//   - It is keyed by bucket and directory and recorded with the directory's
//     stamp (device, inode, modification and status change times, size) and
//     its change counter. This process bumps the counter of a directory
//     after each entry it adds or removes, so its own writes are seen even
//     where time stamps are coarse. A change by hand moves the change time
//     (ctime), which no tool can set back, unlike the modification time.
//   - It is used only if the directory had been left alone for a margin
//     (fineMargin, or coarseMargin for whole-second time stamps) before it
//     was read: a later change then gets a later time stamp, so a change in
//     the same clock tick as the read cannot go unseen. A directory changed
//     more recently is scanned instead.
//   - Listings, and the reads that build them, are charged to a memory
//     budget (Options.ListCacheSize); listings not in use are evicted least
//     recently used first, and dropped after listIdle without use, so the
//     memory goes back after a burst. A directory whose listing would not
//     fit is scanned.
//
// A scan (cursor.go) reads the whole directory and keeps only the entries
// one page can need, in memory bounded by the page; it costs time
// proportional to the directory per page. Listing memory per request is thus
// bounded whatever the directory's size: a shared listing within the
// budget, or a scan's page.
//
// # Multipart uploads
//
// An upload is a folder .sesame.sys/multipart/<bucket>/<uploadID>/ built in
// the temp folder (upload.json: key, initiation time, metadata) and renamed
// into place. Upload IDs are 16 hex digits of the initiation time followed
// by 26 random characters from crypto/rand (URL-safe), so they sort by age;
// an ID of any other shape is ErrUploadNotFound before any path is built.
// The first part of at least MinPartSize fixes the upload's part size S
// (layout.json); a part that fits is written in place at (n-1)*S in the
// upload's data file, fsynced, and recorded in "<n>.json" (ETag, size,
// modification time, "slot": true); any other part is spooled to its own
// file "<n>" as before. The upload folder is never recreated: a part racing
// an abort fails with ErrUploadNotFound. Multipart uploads cannot target
// folder keys (ErrInvalidKey).
//
// CompleteMultipartUpload checks the list (ascending part numbers, each
// part present with the given ETag, every part but the last at least
// MinPartSize). When it names parts 1..k of size S but the last, the data
// file already holds the object: spooled parts that fit are copied into
// their slots, the file is cut to size, fsynced, and committed like
// PutObject, with no part read again (multipart_inplace.go). Otherwise the
// parts are concatenated into a temp file while each part's MD5 is
// recomputed (a part changed on disk is ErrInvalidPart). Either way the
// ETag is hex(md5(part MD5s))-N, the metadata the upload's, and the upload
// folder is removed afterwards. The meta file also records the part layout
// (number, size and checksum of each part: ObjectInfo.Parts), the upload
// ID, and, when the upload has a checksum algorithm, the object's
// MultipartChecksum, computed from the part records (a part without that
// checksum fails the completion with ErrInvalidPart). A completion of an
// upload that is gone is answered with the object at the key when that
// object's meta names the upload and the parts listed give its ETag: a
// retry after a success (multipart_retry.go). docs/STORAGE.md has the crash-safety
// argument.
// ListMultipartUploads sorts by key and then upload ID (initiation order).
package posix
