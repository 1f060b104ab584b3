package windows

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// The host-network probe of a Windows node. On Windows the pod in the node's network namespace
// is a HostProcess pod (KEP-1981 pairs hostNetwork with hostProcess), and a HostProcess
// container is a job object on the host, not a container with its own filesystem:
//
//   - The image's files are not at C:\ but in a directory hcsshim names in the environment
//     variable CONTAINER_SANDBOX_MOUNT_POINT (C:\hpc with containerd 1.7+ bind mounts, a
//     per-container directory with containerd 1.6). hcsshim replaces %CONTAINER_SANDBOX_MOUNT_POINT%
//     in a process's command line with that directory (internal/jobcontainers, replaceWithMountPoint),
//     so a command written with it works under both.
//   - agnhost's Windows image holds its binary as /agnhost, without .exe (kubernetes
//     test/images/agnhost/Dockerfile_windows). Kubernetes' own HostProcess e2e test copies it to
//     agnhost.exe before running it (test/e2e/windows/host_process.go, "should support querying
//     api-server using in-cluster config"); NetexecCommand does the same.
//   - Every process, the container's and each kubectl exec, is started through "cmd /c" when
//     the node supports bind mounts (hcsshim prefixes it, internal/jobcontainers CreateProcess),
//     so cmd.exe reads the command line first:
//     an unquoted & would end the command there. The Linux and Windows-container dial probe
//     puts netexec's /dial parameters in the URL, joined by &; DialCommand passes each as its
//     own curl argument instead (-G --data-urlencode), so the command line holds none of cmd's
//     metacharacters.
//   - Programs without a path are looked up in the host's directories: curl.exe is Windows'
//     own (System32, since Windows 10 1803 and Server 2019), not the image's C:\curl.
//
// None of this has run on a real Windows node: it is rendered and unit-tested only.

// SandboxMountPoint is how a HostProcess container's command line names the directory that
// holds its image's files.
const SandboxMountPoint = "%CONTAINER_SANDBOX_MOUNT_POINT%"

// agnhostInSandbox is agnhost's binary in the image, as HostProcess sees it, and agnhostExe the
// copy NetexecCommand makes so Windows will start it.
const (
	agnhostInSandbox = SandboxMountPoint + `\agnhost`
	agnhostExe       = SandboxMountPoint + `\agnhost.exe`
)

// HostProcessUser is the account the HostProcess probe and evidence pods run as: SYSTEM, the
// account Kubernetes' HostProcess e2e test runs its copy of agnhost with.
const HostProcessUser = `NT AUTHORITY\SYSTEM`

// NetexecCommand is the container command of a HostProcess probe pod: agnhost netexec on the
// given ports, the same server as every other probe pod, started from the image's directory.
func NetexecCommand(httpPort, udpPort int) []string {
	return []string{"cmd", "/C", "copy", "/Y", agnhostInSandbox, agnhostExe, "&&",
		agnhostExe, "netexec", fmt.Sprintf("--http-port=%d", httpPort), fmt.Sprintf("--udp-port=%d", udpPort)}
}

// DialCommand is the dial probe run in a HostProcess probe pod: it asks the pod's own netexec
// (on the node, at netexecPort) to dial the target named by query (netexec's /dial parameters)
// and return its answer, as the other probe pods do, with the attempt bounded by timeout. The
// parameters are curl arguments (curl -G puts them in the URL), never a URL with & in it, because
// cmd.exe may read the command line first. The output is netexec's /dial JSON.
func DialCommand(netexecPort int, query url.Values, timeout time.Duration) []string {
	secs := int(timeout.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	cmd := []string{"curl.exe", "-sS", "-g", "--max-time", strconv.Itoa(secs), "-G",
		fmt.Sprintf("http://127.0.0.1:%d/dial", netexecPort)}
	for _, k := range slices.Sorted(maps.Keys(query)) {
		for _, v := range query[k] {
			cmd = append(cmd, "--data-urlencode", k+"="+v)
		}
	}
	return cmd
}
