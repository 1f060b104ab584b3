package framework

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/calico-conformance/e2e/e2e/matrix"
)

// BGPSession is one BGP protocol of a node's BIRD, from `birdcl show protocols`.
type BGPSession struct {
	Name, State, Info string
}

// Established reports whether the session is up and exchanging routes.
func (s BGPSession) Established() bool {
	return s.State == "up" && strings.HasPrefix(s.Info, "Established")
}

// ParseBirdProtocols reads BIRD 1.6's `show protocols` table and returns its BGP protocols.
func ParseBirdProtocols(out string) []BGPSession {
	var sessions []BGPSession
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		// name proto table state since [time] info...
		if len(f) < 5 || f[1] != "BGP" {
			continue
		}
		s := BGPSession{Name: f[0], State: f[3]}
		rest := f[4:]
		// "since" is a time (15:04:05) or a date and a time; the info follows it
		for len(rest) > 0 && strings.ContainsAny(rest[0], ":-") && !strings.HasPrefix(rest[0], "Established") {
			rest = rest[1:]
		}
		s.Info = strings.Join(rest, " ")
		sessions = append(sessions, s)
	}
	return sessions
}

// BGPMeshProblems checks the node-to-node mesh of every Linux node: each must have an
// Established session to every other Linux node. It returns one line per problem.
func BGPMeshProblems(ctx context.Context, s *Suite) ([]string, error) {
	pods, err := calicoNodePods(ctx, s.Client.Resources())
	if err != nil {
		return nil, err
	}
	linux := s.Topology.Facts.NodesOf(matrix.Linux)
	var problems []string
	for _, n := range linux {
		p, ok := pods[n.Name]
		if !ok {
			problems = append(problems, fmt.Sprintf("node %s: no calico-node pod", n.Name))
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		out, errOut, err := s.exec(cctx, p.Namespace, p.Name, "calico-node", []string{"birdcl", "-s", "/var/run/calico/bird.ctl", "show", "protocols"})
		cancel()
		if err != nil {
			problems = append(problems, fmt.Sprintf("node %s: birdcl show protocols: %v %s", n.Name, err, strings.TrimSpace(errOut)))
			continue
		}
		var up []string
		for _, sess := range ParseBirdProtocols(out) {
			if sess.Established() {
				up = append(up, sess.Name)
			} else {
				problems = append(problems, fmt.Sprintf("node %s: BGP session %s is %s %s", n.Name, sess.Name, sess.State, sess.Info))
			}
		}
		if len(up) < len(linux)-1 {
			sort.Strings(up)
			problems = append(problems, fmt.Sprintf("node %s: %d Established BGP sessions (%s), want one per other node (%d)",
				n.Name, len(up), strings.Join(up, ", "), len(linux)-1))
		}
	}
	return problems, nil
}
