package framework

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"k8s.io/client-go/kubernetes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"

	"github.com/calico-conformance/e2e/e2e/matrix"
	"github.com/calico-conformance/e2e/e2e/probe"
	"github.com/calico-conformance/e2e/e2e/report"
	"github.com/calico-conformance/e2e/infra/calico"
	"github.com/calico-conformance/e2e/infra/lifecycle"
	"github.com/calico-conformance/e2e/infra/router"
)

// Suite is the state every spec of a process shares: set once before the first spec, read-only
// afterwards.
type Suite struct {
	Config   Config
	Client   klient.Client
	Topology Topology
	// Router is the run's external router; nil when the run has none.
	Router *router.Router
}

// Shape is what the matrix expectations need to know about this run's cluster.
func (s *Suite) Shape() matrix.ClusterShape {
	shape := s.Topology.Facts.Shape()
	shape.Router = s.Router != nil
	shape.SecondNetwork = s.Router != nil && s.Config.SecondNetwork != ""
	return shape
}

var (
	suiteOnce sync.Once
	suite     *Suite
	pairsMu   sync.Mutex
	pairs     []report.PairResult
	captures  atomic.Int32
	// fixtureNS is the namespace process 1 created: deleted at the end whatever happened
	// (setup failure, failed specs, Ctrl-C).
	fixtureNS string
)

// Current returns the process's suite state; it fails the spec if setup did not run.
func Current() *Suite {
	gomega.Expect(suite).NotTo(gomega.BeNil(), "the suite setup did not run (SynchronizedBeforeSuite)")
	return suite
}

// SetupSuite runs on process 1 before any spec: read the configuration, detect the cluster,
// check it is the requested mode, deploy the probe fixture and wait for it. It returns the
// topology for every process.
func SetupSuite(ctx context.Context) []byte {
	cfg, err := ConfigFromEnv(os.Getenv)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	client, err := klient.NewWithKubeConfigFile(cfg.Kubeconfig)
	gomega.Expect(err).NotTo(gomega.HaveOccurred(), "kubeconfig %s", cfg.Kubeconfig)

	// where the setup's time goes, printed at its end (ginkgo -v, or a failed setup's output)
	var laps []string
	lapStart := time.Now()
	lap := func(what string) {
		laps = append(laps, fmt.Sprintf("%s %.1fs", what, time.Since(lapStart).Seconds()))
		lapStart = time.Now()
	}
	defer func() { ginkgo.GinkgoWriter.Printf("setup took: %s\n", strings.Join(laps, ", ")) }()

	var facts Facts
	gomega.Eventually(ctx, func() error {
		facts, err = DetectFacts(ctx, client)
		return err
	}).WithTimeout(30*time.Second).WithPolling(2*time.Second).Should(gomega.Succeed(), "detect the cluster under test")
	ginkgo.GinkgoWriter.Printf("cluster: Kubernetes %s, %s, %s, nodes %s\n", facts.KubernetesVersion, facts.DescribeCalico(), facts.DescribeMode(), nodeList(facts))
	lap("detect the cluster")
	// IPIP is checked against the nodes' kernels first (that needs the probe pods): a kernel
	// without IPIP is the more fundamental verdict than a pool in another mode.
	if cfg.Mode != calico.ModeIPIP {
		gomega.Expect(facts.CheckMode(cfg.Mode)).To(gomega.Succeed())
	}
	// A node or calico-node that is not ready is said at once, naming the node and why, rather
	// than after minutes of waiting or as cells failing one by one.
	var problems []string
	if gomega.InterceptGomegaFailure(func() {
		gomega.Eventually(ctx, func() ([]string, error) {
			problems, err = HealthProblems(ctx, client.Resources())
			return problems, err
		}).WithTimeout(20 * time.Second).WithPolling(2 * time.Second).Should(gomega.BeEmpty())
	}) != nil {
		ginkgo.Fail(fmt.Sprintf("setup: the cluster is not healthy, so no spec can give a verdict:\n  %s", strings.Join(problems, "\n  ")))
	}
	gomega.Expect(lifecycle.WaitReady(ctx, client.Resources(), lifecycle.CalicoNamespace(ctx, client.Resources()), 3*time.Minute, ginkgo.GinkgoWriter)).To(gomega.Succeed())
	lap("health")

	r := client.Resources()
	ns := NewNamespace()
	fixtureNS = ns
	gomega.Expect(CreateFixture(ctx, r, cfg, facts, ns)).To(gomega.Succeed())
	lap("create the fixture")
	var topo Topology
	start := time.Now()
	var last error
	if gomega.InterceptGomegaFailure(func() {
		gomega.Eventually(ctx, func() error {
			topo, last = ReadTopology(ctx, r, cfg, facts, ns)
			var fe *FixtureError
			if errors.As(last, &fe) && fe.Permanent {
				return gomega.StopTrying(fe.Msg)
			}
			return last
		}).WithTimeout(fixtureTimeout(facts)).WithPolling(time.Second).Should(gomega.Succeed())
	}) != nil {
		why := fmt.Sprint(last)
		if last == nil {
			why = "interrupted"
		}
		ginkgo.Fail(fmt.Sprintf("setup: the probe fixture in namespace %s is not usable after %s: %s%s\n(the namespace is deleted at the end of the run)",
			ns, time.Since(start).Round(time.Second), why, podWarnings(ctx, r, ns)))
	}
	lap("fixture ready")
	if ok, _ := calico.WindowsPodNetwork(cfg.Mode); ok && hasWindows(facts) {
		cs, err := kubernetes.NewForConfig(client.RESTConfig())
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		s := &Suite{Client: client, Config: cfg, Topology: topo}
		if problems := ManagementIPProblems(ctx, s, cs); len(problems) > 0 {
			ginkgo.Fail("setup: Windows nodes whose HNS network is on the wrong adapter, so no cross-node spec can pass:\n  " + strings.Join(problems, "\n  "))
		}
	}
	if cfg.Mode == calico.ModeIPIP {
		gomega.Expect(ipipPreflight(ctx, client, topo)).To(gomega.Succeed())
		gomega.Expect(facts.CheckMode(cfg.Mode)).To(gomega.Succeed())
	}
	b, err := json.Marshal(topo)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	return b
}

func nodeList(f Facts) string {
	var s []string
	for _, n := range f.Nodes {
		s = append(s, fmt.Sprintf("%s(%s %s)", n.Name, n.OS, n.IP))
	}
	return strings.Join(s, " ")
}

// AttachSuite runs on every process with the topology from process 1.
func AttachSuite(data []byte) {
	suiteOnce.Do(func() {
		cfg, err := ConfigFromEnv(os.Getenv)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		client, err := klient.NewWithKubeConfigFile(cfg.Kubeconfig)
		gomega.Expect(err).NotTo(gomega.HaveOccurred())
		var topo Topology
		gomega.Expect(json.Unmarshal(data, &topo)).To(gomega.Succeed())
		suite = &Suite{Config: cfg, Client: client, Topology: topo}
		if cfg.RouterName != "" {
			suite.Router, err = router.Attach(context.Background(), cfg.RouterName, cfg.RouterNetwork)
			gomega.Expect(err).NotTo(gomega.HaveOccurred(), "the run's external router")
		}
	})
}

// TeardownSuite deletes the fixture namespace (process 1, after every process finished), also
// when the setup failed after creating it or the run was interrupted.
func TeardownSuite(ctx context.Context) {
	if fixtureNS == "" {
		return
	}
	cfg, err := ConfigFromEnv(os.Getenv)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	client, err := klient.NewWithKubeConfigFile(cfg.Kubeconfig)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	gomega.Expect(DeleteFixture(ctx, client.Resources(), fixtureNS)).To(gomega.Succeed())
	ginkgo.GinkgoWriter.Printf("deleted the fixture namespace %s\n", fixtureNS)
}

// podWarnings lists the latest Warning event of each pod in ns (why a pod is stuck), as extra
// lines for a setup failure; empty when there are none or they cannot be read.
func podWarnings(ctx context.Context, r *resources.Resources, ns string) string {
	var events corev1.EventList
	if err := r.WithNamespace(ns).List(ctx, &events); err != nil {
		return ""
	}
	latest := map[string]corev1.Event{}
	for _, e := range events.Items {
		if e.Type != corev1.EventTypeWarning || e.InvolvedObject.Kind != "Pod" {
			continue
		}
		if prev, ok := latest[e.InvolvedObject.Name]; !ok || e.LastTimestamp.After(prev.LastTimestamp.Time) {
			latest[e.InvolvedObject.Name] = e
		}
	}
	var lines []string
	for pod, e := range latest {
		lines = append(lines, fmt.Sprintf("\n  %s: %s: %s (x%d)", pod, e.Reason, strings.TrimSpace(e.Message), max(e.Count, 1)))
	}
	sort.Strings(lines)
	if len(lines) == 0 {
		return ""
	}
	return "\nlatest warning events:" + strings.Join(lines, "")
}

// Kubectl is the kubectl prefix of paste-able retry commands.
func (s *Suite) Kubectl() string { return "kubectl --kubeconfig " + s.Config.Kubeconfig }

func (s *Suite) exec(ctx context.Context, ns, pod, container string, cmd []string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := s.Client.Resources().ExecInPod(ctx, ns, pod, container, cmd, &out, &errOut)
	return out.String(), errOut.String(), err
}

// RunCell checks one matrix cell: skip with the declared reason when it does not apply, else
// probe every concrete pair in parallel until all answer as expected or the cell times out.
func RunCell(ctx context.Context, c matrix.Cell) {
	s := Current()
	exp := matrix.Expect(c, s.Shape())
	if exp.Skip != "" {
		ginkgo.Skip(exp.Skip)
	}
	probes := s.Topology.Probes(c, s.Config)
	gomega.Expect(probes).NotTo(gomega.BeEmpty(), "no probes for %s on this topology", c)

	results := make([]probe.Result, len(probes))
	pending := make([]int, len(probes))
	for i := range pending {
		pending[i] = i
	}
	attempt := func() error {
		batch := make([]probe.Probe, len(pending))
		for j, i := range pending {
			batch[j] = probes[i]
		}
		var still []int
		for j, r := range probe.Run(ctx, s.exec, batch, s.Config.Parallel) {
			results[pending[j]] = r
			if r.OK() != exp.Reachable {
				still = append(still, pending[j])
			}
		}
		pending = still
		if len(pending) == 0 {
			return nil
		}
		return fmt.Errorf("%d of %d probes not as expected", len(pending), len(probes))
	}
	var err error
	if exp.Reachable {
		err = gomega.InterceptGomegaFailure(func() {
			gomega.Eventually(ctx, attempt).WithTimeout(cellTimeout(s.Config, c)).WithPolling(time.Second).Should(gomega.Succeed())
		})
	} else {
		err = gomega.InterceptGomegaFailure(func() {
			gomega.Consistently(ctx, attempt).WithTimeout(5 * time.Second).WithPolling(time.Second).Should(gomega.Succeed())
		})
	}
	recordPairs(s.Topology, results)
	var lines, budget []string
	if c.Scenario == matrix.MTU {
		// the MTUs themselves must fit the underlay, whatever the packets did
		for _, p := range mtuBudgetProblems(ctx, s, c) {
			budget = append(budget, "  "+p)
		}
	}
	if err == nil && len(budget) > 0 {
		dir := EvidenceDir(s.Config.Artifacts, ginkgo.CurrentSpecReport())
		fs, ferr := CollectAndAnalyze(ctx, s, dir)
		ginkgo.Fail(fmt.Sprintf("%s: every probe passed, but the MTUs do not fit the underlay\n%s\nMTU problems:\n%s\nevidence: %s",
			c, FormatFindings(fs, ferr), strings.Join(budget, "\n"), dir))
	}
	if err == nil {
		return
	}
	for _, i := range pending {
		lines = append(lines, "  "+results[i].Line(s.Kubectl()))
	}
	if len(budget) > 0 {
		lines = append(append(lines, "MTU problems:"), budget...)
	}
	dir := EvidenceDir(s.Config.Artifacts, ginkgo.CurrentSpecReport())
	// evidence and findings first, while the failing state is there; then the capture
	fs, ferr := CollectAndAnalyze(ctx, s, dir)
	causes := report.Diagnose(pairsSoFar(), string(s.Topology.Facts.Mode))
	capture := "capture-<node>.txt (packets of the first failed pair, retried)"
	if n := captures.Add(1); int(n) > s.Config.MaxCaptures {
		capture = fmt.Sprintf("no packet capture: this run already made MAX_CAPTURES=%d", s.Config.MaxCaptures)
	} else if err := CaptureFailure(ctx, s, results[pending[0]], dir); err != nil {
		capture = "no packet capture: " + err.Error()
	}
	ginkgo.Fail(fmt.Sprintf("%s: %d of %d probes failed (expected %s)\n%s\nfailed pairs:\n%s\nlikely cause (pattern of failed pairs): %s\nevidence: %s; %s",
		c, len(pending), len(probes), map[bool]string{true: "reachable", false: "unreachable"}[exp.Reachable],
		FormatFindings(fs, ferr), strings.Join(lines, "\n"), strings.Join(causes, " / "), dir, capture))
}

func recordPairs(t Topology, rs []probe.Result) {
	pairsMu.Lock()
	defer pairsMu.Unlock()
	for _, r := range rs {
		if r.Probe.Src.Pod == "" {
			continue
		}
		pairs = append(pairs, report.PairResult{Scenario: string(r.Probe.Cell.Scenario), Proto: string(r.Probe.Cell.Proto),
			Placement: string(r.Probe.Cell.Placement), SrcNode: r.Probe.Src.Node, DstNode: r.Probe.DstNode, OK: r.OK()})
	}
}

func pairsSoFar() []report.PairResult {
	pairsMu.Lock()
	defer pairsMu.Unlock()
	return append([]report.PairResult(nil), pairs...)
}

// WritePairs saves this process's probe results for the end-of-run diagnosis, under this run's
// fixture namespace, so a later run in the same artifacts never reads them as its own.
func WritePairs() {
	if suite == nil {
		return
	}
	if err := report.SavePairs(suite.Config.Artifacts, suite.Topology.Namespace, ginkgo.GinkgoParallelProcess(), pairsSoFar()); err != nil {
		fmt.Fprintf(os.Stderr, "warning: %v\n", err)
	}
}

// runMeta is the run's metadata in its reports: what was asked (mode, provider, image source,
// pinned versions), which Calico the run's `up` installed (when it did), and what was detected
// in the cluster (when the setup got that far).
func runMeta(cfg Config, suiteDescription string, f *Facts) map[string]string {
	meta := map[string]string{"run id": cfg.RunID, "mode": string(cfg.Mode), "provider": cfg.Provider,
		"image source": cfg.Images, "pinned versions": cfg.Versions.Summary(), "suite": suiteDescription}
	if cfg.CalicoUnderTest != "" {
		meta["calico"] = cfg.CalicoUnderTest
	}
	if f != nil {
		meta["detected"] = fmt.Sprintf("Kubernetes %s, %s, %s, %d nodes", f.KubernetesVersion, f.DescribeCalico(), f.DescribeMode(), len(f.Nodes))
	}
	return meta
}

// WriteReports prints the matrix summary at the end of the run and writes it as Markdown, with
// the specs' phase time and a diagnosis over every probe of every process.
func WriteReports(r types.Report) {
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "no matrix report: %v\n", err)
		return
	}
	cells := report.CellsFromReport(r)
	var facts *Facts
	if suite != nil {
		facts = &suite.Topology.Facts
	}
	meta := runMeta(cfg, r.SuiteDescription, facts)
	detected := meta["detected"]
	if err := os.MkdirAll(cfg.Artifacts, 0o755); err == nil {
		md := report.Markdown(cells, meta)
		if fs := RunFindings(cfg.Artifacts); len(fs) > 0 {
			md += "\n## Findings\n\n"
			for _, f := range fs {
				md += "- " + f.String() + "\n"
			}
		}
		_ = os.WriteFile(filepath.Join(cfg.Artifacts, "matrix.md"), []byte(md), 0o644)
		fs, err := report.ReadFindings(cfg.Artifacts) // an unreadable file is named, the others still read
		if err != nil {
			fmt.Fprintf(os.Stderr, "warning: %v\n", err)
		}
		run := report.ModeResults{Mode: string(cfg.Mode), Meta: meta, Cells: cells, Findings: fs}
		if err := report.SaveRun(cfg.Artifacts, run); err != nil {
			fmt.Fprintf(os.Stderr, "warning: %v\n", err)
		}
		if err := report.WriteHTML(filepath.Join(cfg.Artifacts, report.HTMLFile), []report.ModeResults{run}); err != nil {
			fmt.Fprintf(os.Stderr, "warning: %v\n", err)
		}
		_ = report.AppendPhase(cfg.Artifacts, "specs", r.RunTime)
	}
	fmt.Printf("\nConnectivity matrix (MODE=%s, IMAGES=%s, %s)\n", cfg.Mode, cfg.Images, cfg.Versions.Summary())
	if cfg.CalicoUnderTest != "" {
		fmt.Printf("calico: %s\n", cfg.CalicoUnderTest)
	}
	if detected != "" {
		fmt.Printf("cluster: %s\n", detected)
	}
	if suite == nil {
		fmt.Println("no cell ran: the suite setup failed (its failure is printed above)")
	} else {
		fmt.Print(report.Summary(cells))
	}
	// Only this run's probes: a run whose setup failed probed nothing and diagnoses nothing.
	if suite != nil {
		all, err := report.LoadPairs(cfg.Artifacts, suite.Topology.Namespace)
		if err != nil {
			fmt.Fprintf(os.Stderr, "warning: %v\n", err)
		}
		for _, f := range RunFindings(cfg.Artifacts) {
			fmt.Println("finding:", f.String())
		}
		for _, c := range report.Diagnose(all, string(cfg.Mode)) {
			fmt.Println("likely cause:", c)
		}
	}
	fmt.Printf("matrix: %s\n", filepath.Join(cfg.Artifacts, "matrix.md"))
	fmt.Printf("matrix (HTML): %s\n", filepath.Join(cfg.Artifacts, report.HTMLFile))
}
