// Package fanout delivers a store's change events to in-process watchers.
//
// A Hub holds one buffered channel per watcher. Publish never blocks: when a
// watcher's buffer is full, the hub drops every event still waiting in that
// buffer and puts a single store.EventReset in its place, which tells the
// consumer to reload with List. The consumer therefore always sees, in
// order, a prefix of the events, then a reset, then later events; nothing it
// missed happened after the reset it receives, so a List made after that
// reset observes every dropped change. A slow watcher costs at most its
// buffer in memory and never delays writers.
//
// Backends call Publish while they still hold their write lock, so every
// watcher sees changes in the order they were made.
package fanout
