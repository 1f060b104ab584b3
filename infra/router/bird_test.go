package router

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"

	"github.com/calico-conformance/e2e/infra/images"
	"github.com/calico-conformance/e2e/infra/versions"
)

// nettools returns the local nettools image, or skips the test saying why BIRD is not run.
func nettools(t *testing.T) string {
	t.Helper()
	v, err := versions.Pinned()
	if err != nil {
		t.Fatal(err)
	}
	img := images.NamesFor(v, images.FromSource).Nettools
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skipf("skipped: no docker CLI to run BIRD (%s) with", img)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		t.Skipf("skipped: the Docker daemon does not answer (%v: %s) to run BIRD (%s)", err, strings.TrimSpace(string(out)), img)
	}
	if err := exec.CommandContext(ctx, "docker", "image", "inspect", "--format", "{{.Id}}", img).Run(); err != nil {
		t.Skipf("skipped: image %s is not local (make images builds it; tests never pull), so BIRD does not run", img)
	}
	return img
}

// BIRD 1.6.8 itself accepts what Render writes, and Check reports what it rejects.
func TestCheckWithBIRD(t *testing.T) {
	img := nettools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, golden := range []string{"render-bgp.golden.conf", "render-static.golden.conf"} {
		conf, err := os.ReadFile(filepath.Join("testdata", golden))
		if err != nil {
			t.Fatal(err)
		}
		if err := Check(ctx, img, string(conf)); err != nil {
			t.Errorf("%s: %v", golden, err)
		}
	}
	both, err := Render(Config{RouterID: "172.18.0.5", LocalAS: 65010, ClusterAS: 64600,
		Peers:        []Peer{{Node: strings.Repeat("long-node-name-", 5) + "x", IP: "172.18.0.2", AS: 64601, Password: "p@ss w0rd!"}},
		StaticRoutes: []StaticRoute{{Prefix: "10.96.0.0/16", Via: "172.18.0.2"}, {Prefix: "10.96.0.0/16", Via: "172.18.0.3"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(ctx, img, both); err != nil {
		t.Errorf("BGP and static routes, long protocol name, password with spaces: %v", err)
	}

	err = Check(ctx, img, "router id 172.18.0.5;\nprotocol bgp node_x {\n\tneighbor 172.18.0.2 as ;\n}\n")
	if err == nil || !strings.Contains(err.Error(), "BIRD rejects the configuration: ") || !strings.Contains(err.Error(), "bird: /tmp/bird.conf:3:") {
		t.Errorf("Check(broken) = %v, want BIRD's error naming line 3", err)
	}
}

// The router's life on a container without a network (tests never join the cluster's): BIRD
// starts from Render's configuration and installs its routes into the kernel, Reconfigure
// replaces them, refuses a configuration BIRD rejects, and Stop removes the container.
func TestRouterLifecycleWithBIRD(t *testing.T) {
	img := nettools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	g := gomega.NewWithT(t)
	g.SetDefaultEventuallyTimeout(30 * time.Second)
	g.SetDefaultEventuallyPollingInterval(200 * time.Millisecond)

	id := make([]byte, 4)
	_, _ = rand.Read(id)
	name := "e2e-router-test-" + hex.EncodeToString(id)
	label := "e2e.router-test=" + name
	if _, _, err := docker(ctx, "", "run", "-d", "--pull=never", "--name", name, "--network", "none",
		"--cap-add", "NET_ADMIN", "--label", label, img, "sleep", "infinity"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := RemoveByLabel(context.Background(), label); err != nil {
			t.Error(err)
		}
	})
	r := &Router{name: name, network: "none", ip: "172.18.0.5"}
	// an eth0 with the router's address: one end of a veth pair (no dummy module needed)
	if _, _, err := r.Exec(ctx, "sh", "-c", "ip link add eth0 type veth peer name peer0 && ip link set peer0 up && "+
		"ip addr add 172.18.0.5/16 dev eth0 && ip link set eth0 up"); err != nil {
		t.Fatal(err)
	}

	// no RouterID: BIRD takes the router's address, as with Start
	cfg := Config{StaticRoutes: []StaticRoute{
		{Prefix: "192.168.95.128/26", Via: "172.18.0.2"},
		{Prefix: "10.96.0.0/16", Via: "172.18.0.2"}, {Prefix: "10.96.0.0/16", Via: "172.18.0.3"},
	}}
	conf, err := Render(cfg)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(r.configure(ctx, conf)).To(gomega.Succeed())

	ecmp := []NextHop{{"172.18.0.2", "eth0", 1}, {"172.18.0.3", "eth0", 1}}
	g.Eventually(ctx, func(g gomega.Gomega) {
		kernel, err := r.KernelRoutes(ctx)
		g.Expect(err).NotTo(gomega.HaveOccurred())
		g.Expect(kernel).To(gomega.HaveKeyWithValue("10.96.0.0/16", KernelRoute{Proto: "bird", NextHops: ecmp}))
		g.Expect(kernel).To(gomega.HaveKeyWithValue("192.168.95.128/26",
			KernelRoute{Proto: "bird", NextHops: []NextHop{{Gateway: "172.18.0.2", Dev: "eth0"}}}))
	}).Should(gomega.Succeed(), "BIRD installs the static routes into the router's kernel, the service range as ECMP")

	status, err := r.birdc(ctx, "show", "status")
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(status).To(gomega.ContainSubstring("Router ID is 172.18.0.5"), "BIRD's router id is the router's address")

	bird, err := r.Routes(ctx)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(bird).To(gomega.HaveKey("10.96.0.0/16"))
	g.Expect(bird["10.96.0.0/16"][0].NextHops).To(gomega.Equal(ecmp))
	ps, err := r.Protocols(ctx)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	var names []string
	for _, p := range ps {
		if p.State == "up" {
			names = append(names, p.Name)
		}
	}
	g.Expect(names).To(gomega.ConsistOf("device1", "direct1", "kernel1", "static_routes"))

	cfg.StaticRoutes = cfg.StaticRoutes[:1]
	conf, err = Render(cfg)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(r.Reconfigure(ctx, conf)).To(gomega.Succeed())
	g.Eventually(ctx, func(g gomega.Gomega) {
		kernel, err := r.KernelRoutes(ctx)
		g.Expect(err).NotTo(gomega.HaveOccurred())
		g.Expect(kernel).NotTo(gomega.HaveKey("10.96.0.0/16"))
		g.Expect(kernel).To(gomega.HaveKey("192.168.95.128/26"))
	}).Should(gomega.Succeed(), "Reconfigure withdraws the removed route from the kernel")

	err = r.Reconfigure(ctx, conf+"protocol bgp broken {\n")
	g.Expect(err).To(gomega.MatchError(gomega.ContainSubstring("BIRD rejects the new configuration")))
	running, _, err := r.Exec(ctx, "cat", ConfigPath)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(running).To(gomega.Equal(conf), "a rejected configuration leaves the running one's file")

	g.Expect(r.Stop(ctx)).To(gomega.Succeed())
	out, _, _ := docker(ctx, "", "ps", "-a", "--filter", "label="+label, "--format", "{{.Names}}")
	if len(strings.Fields(out)) > 0 {
		t.Errorf("containers left after Stop: %s", out)
	}
	g.Expect(r.Stop(ctx)).To(gomega.Succeed(), "Stop of a removed router")
}
