package kind

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Why a node container could not be removed (seen when Ctrl-C met the fixture pods' start):
// docker rm -f failed with "tried to kill container, but did not receive an exit event". Inside
// the node, runc freezes a container's cgroup while it sets it up; killed in between, it leaves
// the cgroup FROZEN, and its `runc init` sleeps uninterruptibly there, so SIGKILL never lands and
// the node never exits. Thawing the cgroup lets the kill land.

// cgroupRoot is where this host mounts its cgroups (a variable for the tests).
var cgroupRoot = "/sys/fs/cgroup"

// nodeIDs returns the full container IDs of the cluster's node containers.
func nodeIDs(cluster string) []string {
	out, _ := exec.Command("docker", "ps", "-aq", "--no-trunc", "--filter", "label="+ClusterLabel+"="+cluster).Output()
	return strings.Fields(string(out))
}

// thawNodes thaws every frozen cgroup below the given containers' (cgroup v1's freezer.state
// FROZEN, cgroup v2's cgroup.freeze 1; Docker's cgroupfs and systemd layouts) and returns how
// many it thawed.
func thawNodes(ids []string) int {
	thawed := 0
	for _, id := range ids {
		for _, dir := range []string{
			filepath.Join(cgroupRoot, "freezer", "docker", id),
			filepath.Join(cgroupRoot, "freezer", "system.slice", "docker-"+id+".scope"),
			filepath.Join(cgroupRoot, "docker", id),
			filepath.Join(cgroupRoot, "system.slice", "docker-"+id+".scope"),
		} {
			_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				var frozen bool
				var thaw string
				switch d.Name() {
				case "freezer.state":
					b, _ := os.ReadFile(path)
					frozen, thaw = strings.TrimSpace(string(b)) != "THAWED", "THAWED"
				case "cgroup.freeze":
					b, _ := os.ReadFile(path)
					frozen, thaw = strings.TrimSpace(string(b)) == "1", "0"
				}
				if frozen && os.WriteFile(path, []byte(thaw), 0) == nil {
					thawed++
				}
				return nil
			})
		}
	}
	return thawed
}
