package storetest

import (
	"testing"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

func peerTests() []peerSubtest {
	return []peerSubtest{
		{"Peer/Visibility", testPeerVisibility},
		{"Peer/WatchSeesPeer", func(t *testing.T, s, peer store.Store) { testWatchEvents(t, s, peer) }},
		{"Peer/PeerWatchSees", func(t *testing.T, s, peer store.Store) { testWatchEvents(t, peer, s) }},
		{"Peer/ConcurrentUpdate", testConcurrentUpdates},
		{"Peer/ConcurrentCreate", testConcurrentCreate},
	}
}

func testPeerVisibility(t *testing.T, s, peer store.Store) {
	create(t, s, store.KindUser, "from-s", "1")
	wantValue(t, peer, store.KindUser, "from-s", "1")
	create(t, peer, store.KindUser, "from-peer", "2")
	wantValue(t, s, store.KindUser, "from-peer", "2")

	update(t, peer, store.KindUser, "from-s", "1b")
	if a, b := wantValue(t, s, store.KindUser, "from-s", "1b"), get(t, peer, store.KindUser, "from-s"); a.Revision != b.Revision {
		t.Fatalf("clients disagree on Revision: %d and %d", a.Revision, b.Revision)
	}
	err := s.Create(t.Context(), store.Record{Kind: store.KindUser, Name: "from-peer"})
	wantErr(t, err, store.ErrAlreadyExists, "Create of a record the peer created")

	if err := s.Delete(t.Context(), store.KindUser, "from-peer"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantMissing(t, peer, store.KindUser, "from-peer")
	if got := names(t, store.KindUser, list(t, peer, store.KindUser)); len(got) != 1 || got[0] != "from-s" {
		t.Fatalf("peer List(user) = %q, want [from-s]", got)
	}
}
