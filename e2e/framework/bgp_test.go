package framework

import (
	"os"
	"testing"
)

// The testdata files are `birdcl -s /var/run/calico/bird.ctl show protocols` recorded in
// calico-node (source-built v3.28.5, Debian BIRD 1.6.8) on a 3-node kind cluster in noencap
// mode: healthy; after `birdcl disable Mesh_172_18_0_4` on the control plane; and on that peer.
func TestParseBirdProtocols(t *testing.T) {
	cases := []struct {
		file        string
		want        []BGPSession
		established int
	}{
		{"bird-show-protocols-established.txt", []BGPSession{
			{"Mesh_172_18_0_4", "up", "Established"}, {"Mesh_172_18_0_3", "up", "Established"}}, 2},
		{"bird-show-protocols-disabled.txt", []BGPSession{
			{"Mesh_172_18_0_4", "down", ""}, {"Mesh_172_18_0_3", "up", "Established"}}, 1},
		{"bird-show-protocols-peer-active.txt", []BGPSession{
			{"Mesh_172_18_0_2", "start", "OpenSent Socket: Connection reset by peer"}, {"Mesh_172_18_0_3", "up", "Established"}}, 1},
	}
	for _, c := range cases {
		b, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		got := ParseBirdProtocols(string(b))
		if len(got) != len(c.want) {
			t.Fatalf("%s: %d sessions %+v, want %+v", c.file, len(got), got, c.want)
		}
		n := 0
		for i, s := range got {
			if s != c.want[i] {
				t.Errorf("%s: session %d = %+v, want %+v", c.file, i, s, c.want[i])
			}
			if s.Established() {
				n++
			}
		}
		if n != c.established {
			t.Errorf("%s: %d established, want %d", c.file, n, c.established)
		}
	}
}
