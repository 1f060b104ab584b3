package lifecycle

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/calico-conformance/e2e/infra/registry"
)

// Labels on everything the suite creates in a cluster, so cleanup finds every object of every
// run, also those a killed run left behind.
const (
	// RunLabel holds the RUN_ID on the fixture namespace and its objects.
	RunLabel = "e2e.calico-conformance.io/run"
	// InvocationLabel holds the id of one `e2e-run` (several may run on one kept cluster).
	InvocationLabel = "e2e.calico-conformance.io/invocation"
)

// Boolean knobs and their defaults. Each accepts the usual spellings (1/0, true/false, yes/no,
// on/off, any case); anything else is bad input.
var boolKnobs = map[string]bool{
	"KEEP_CLUSTER": false,
	"PRELOAD":      true,
	"SKIP_IMAGES":  false,
	"PLAN_ONLY":    false,
	"ROUTER":       true,
}

// ParseBool reads a boolean knob; empty means def.
func ParseBool(name, value string, def bool) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "":
		return def, nil
	case "1", "true", "yes", "on", "y":
		return true, nil
	case "0", "false", "no", "off", "n":
		return false, nil
	}
	return false, UsageError{fmt.Sprintf("%s=%q is not a boolean: use 1 or 0 (also true/false, yes/no, on/off)", name, value)}
}

// Knob reads a boolean knob from the environment, with its default.
func Knob(getenv func(string) string, name string) (bool, error) {
	def, ok := boolKnobs[name]
	if !ok {
		return false, UsageError{fmt.Sprintf("%s is not a boolean knob: the boolean knobs are KEEP_CLUSTER, PRELOAD, SKIP_IMAGES, PLAN_ONLY, ROUTER", name)}
	}
	return ParseBool(name, getenv(name), def)
}

// RunKnobs are the settings of a suite run (`make e2e-run`), validated before anything is
// created: the suite reads them with the same function, so the check and the use never differ.
type RunKnobs struct {
	CellTimeout   time.Duration
	MaxCaptures   int
	LabelFilter   string
	ClusterDomain string
	AgnhostImage  string // empty: the pinned default
	NettoolsImage string // empty: the pinned default
	// WindowsRegistry holds the agnhost Windows images: the image prefix
	// (host[:port][/path], never a scheme) of WINDOWS_REGISTRY, e.g. registry.example.com/e2e
	// for WINDOWS_REGISTRY=http://registry.example.com/e2e. Needed only when the cluster has
	// Windows nodes.
	WindowsRegistry string
}

var (
	dnsName   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	imageName = regexp.MustCompile(`^[a-z0-9]+([._/:@-][a-zA-Z0-9_]+)*$`)
)

// ParseRunKnobs validates CELL_TIMEOUT, MAX_CAPTURES, LABEL_FILTER, CLUSTER_DOMAIN,
// AGNHOST_IMAGE, NETTOOLS_IMAGE, WINDOWS_REGISTRY (registry.Parse, the rule PROVIDER=vagrant
// applies too) and the boolean knobs. Every error is one UsageError line saying what is wrong
// and what would be right.
func ParseRunKnobs(getenv func(string) string) (RunKnobs, error) {
	k := RunKnobs{CellTimeout: 20 * time.Second, MaxCaptures: 3, ClusterDomain: "cluster.local",
		LabelFilter: getenv("LABEL_FILTER"), AgnhostImage: getenv("AGNHOST_IMAGE"), NettoolsImage: getenv("NETTOOLS_IMAGE")}
	if d := getenv("CELL_TIMEOUT"); d != "" {
		t, err := time.ParseDuration(d)
		if err != nil || t <= 0 {
			return k, UsageError{fmt.Sprintf("CELL_TIMEOUT=%q is not a positive duration: use a Go duration such as 20s or 1m", d)}
		}
		k.CellTimeout = t
	}
	if m := getenv("MAX_CAPTURES"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return k, UsageError{fmt.Sprintf("MAX_CAPTURES=%q is not a number of captures: use 0 (none) or more, e.g. 3", m)}
		}
		k.MaxCaptures = n
	}
	if k.LabelFilter != "" {
		if _, err := types.ParseLabelFilter(k.LabelFilter); err != nil {
			return k, UsageError{fmt.Sprintf("LABEL_FILTER=%q is not a valid Ginkgo label filter: join labels with &&, ||, ! and balanced parentheses, e.g. 'scenario:pod-to-pod && proto:udp'", k.LabelFilter)}
		}
	}
	if d := getenv("CLUSTER_DOMAIN"); d != "" {
		if !dnsName.MatchString(d) {
			return k, UsageError{fmt.Sprintf("CLUSTER_DOMAIN=%q is not a DNS domain: use the cluster's domain, e.g. cluster.local", d)}
		}
		k.ClusterDomain = d
	}
	for name, v := range map[string]string{"AGNHOST_IMAGE": k.AgnhostImage, "NETTOOLS_IMAGE": k.NettoolsImage} {
		if v != "" && !imageName.MatchString(v) {
			return k, UsageError{fmt.Sprintf("%s=%q is not an image reference: use a name such as registry.k8s.io/e2e-test-images/agnhost:2.56", name, v)}
		}
	}
	reg, err := registry.Parse(getenv(registry.Knob))
	if err != nil {
		return k, UsageError{err.Error()}
	}
	k.WindowsRegistry = reg.ImagePrefix()
	for name := range boolKnobs {
		if _, err := Knob(getenv, name); err != nil {
			return k, err
		}
	}
	return k, nil
}

// CheckFilterSelects fails when LABEL_FILTER selects none of the specs listed in specsFile
// (ci/specs.txt: one spec a line, its labels in brackets at the end), so a filter that can only
// fail the run is reported before a cluster exists. A missing list is not an error.
func CheckFilterSelects(filter, specsFile string) error {
	if filter == "" {
		return nil
	}
	match, err := types.ParseLabelFilter(filter)
	if err != nil {
		return UsageError{fmt.Sprintf("LABEL_FILTER=%q is not a valid Ginkgo label filter: join labels with &&, ||, ! and balanced parentheses", filter)}
	}
	f, err := os.Open(specsFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndex(line, " [")
		if i < 0 || !strings.HasSuffix(line, "]") {
			continue
		}
		n++
		var labels []string
		for _, l := range strings.Split(line[i+2:len(line)-1], ",") {
			if l = strings.TrimSpace(l); l != "" {
				labels = append(labels, l)
			}
		}
		if match(labels) {
			return nil
		}
	}
	return UsageError{fmt.Sprintf("LABEL_FILTER=%q selects none of the %d specs (ci/specs.txt lists them with their labels): e.g. 'scenario:dns' or 'placement:other-node && proto:udp'", filter, n)}
}
