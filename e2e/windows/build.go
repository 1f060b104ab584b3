package windows

import (
	"fmt"
	"strconv"
	"strings"
)

// Build is a Windows version as nodes and images report it: 10.0.<Number>.<Revision>
// (node.status.nodeInfo.kernelVersion, the node.kubernetes.io/windows-build label, an image's
// os.version). Revision is -1 when not given.
type Build struct {
	Major, Minor, Number, Revision int
}

// ParseBuild reads "10.0.17763", "10.0.17763.1432" or "10.0.17763.1432 (WinBuild...)".
func ParseBuild(s string) (Build, error) {
	f := strings.Split(firstField(s), ".")
	if len(f) < 3 || len(f) > 4 {
		return Build{}, fmt.Errorf("Windows build %q: want 10.0.<build>[.<revision>]", s)
	}
	var n [4]int
	n[3] = -1
	for i, p := range f {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return Build{}, fmt.Errorf("Windows build %q: want 10.0.<build>[.<revision>]", s)
		}
		n[i] = v
	}
	return Build{n[0], n[1], n[2], n[3]}, nil
}

func (b Build) String() string {
	if b.Revision < 0 {
		return fmt.Sprintf("%d.%d.%d", b.Major, b.Minor, b.Number)
	}
	return fmt.Sprintf("%d.%d.%d.%d", b.Major, b.Minor, b.Number, b.Revision)
}

// less orders builds; a missing revision counts as 0.
func (b Build) less(o Build) bool {
	a, c := [4]int{b.Major, b.Minor, b.Number, max(b.Revision, 0)}, [4]int{o.Major, o.Minor, o.Number, max(o.Revision, 0)}
	for i := range a {
		if a[i] != c[i] {
			return a[i] < c[i]
		}
	}
	return false
}

// buildNames names the Windows Server LTSC builds used for nodes and their image tags.
var buildNames = map[int]string{
	17763: "Windows Server 2019 (ltsc2019)",
	20348: "Windows Server 2022 (ltsc2022)",
	26100: "Windows Server 2025 (ltsc2025)",
}

func buildName(b Build) string {
	if n, ok := buildNames[b.Number]; ok {
		return b.String() + ", " + n
	}
	return b.String()
}

// BadBuild is a range of Windows builds known to break container networking with Calico,
// with the reason and where it is documented.
type BadBuild struct {
	// From <= build < Before.
	From, Before Build
	Reason       string
	Fix          string
	Source       string
}

// KnownBadBuilds lists Windows builds with a documented networking problem for Calico.
//
// TODO: add entries only with a cited source (a vendor document or an issue where the
// maintainers confirm the build); the recorded fixtures name no broken build.
var KnownBadBuilds = []BadBuild{
	{
		From: Build{10, 0, 0, 0}, Before: Build{10, 0, 17763, 0},
		Reason: "Calico VXLAN on Windows needs Windows 1809 build 17763 or later",
		Fix:    "run the node on Windows Server 2019 (10.0.17763) or later",
		Source: "Calico docs, Windows 'Limitations and known issues', VXLAN limitations: 'Windows 1809 build 17763 and above'",
	},
	{
		From: Build{10, 0, 17763, 0}, Before: Build{10, 0, 17763, 1432},
		Reason: "before build 17763.1432 kube-proxy source-NATs pod traffic to Service ClusterIPs, so Calico policy that selects the source pod does not match it, and direct server return is not supported",
		Fix:    "install the Windows Server 2019 cumulative update of August 2020 (17763.1432) or later",
		Source: "Calico docs, Windows 'Limitations and known issues': 'Service ClusterIPs incompatible with selectors/pod IPs in network policy — Windows 1809 prior to build 17763.1432'",
	},
}
