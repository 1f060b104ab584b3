package calico

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/calico-conformance/e2e/manifests"
)

// ManifestOptions are the settings RenderManifest applies to the Calico release manifest.
type ManifestOptions struct {
	// Mode selects the release manifest (calico-vxlan.yaml for ModeVXLAN, calico.yaml otherwise),
	// the default pool's encapsulation and the networking backend.
	Mode Mode
	// Version is the Calico release, e.g. "3.28.5" (a leading "v" is accepted); its manifests
	// must be embedded in package manifests.
	Version string
	// PodCIDR is the default IPv4 pool (CALICO_IPV4POOL_CIDR), e.g. "10.244.0.0/16"; it should
	// be the cluster's pod subnet.
	PodCIDR string
	// NodeInterface, when set (e.g. "eth0"), pins each node's Calico address to that interface
	// (IP_AUTODETECTION_METHOD), so that a NIC added later cannot move it.
	NodeInterface string
	// PullPolicy is set on every container of every workload: IfNotPresent or Never. The suite
	// never makes a node pull, so Always is rejected.
	PullPolicy corev1.PullPolicy
	// Images maps images of the release manifest (docker.io/calico/node:v3.28.5) to the images
	// to run instead (a build of a Calico checkout, or the user's own): every container and init
	// container naming a key runs its value. A key no container names is an error, so a typo
	// cannot leave the release image in place.
	Images map[string]string
}

const (
	// calicoNodeName is the DaemonSet and its main container.
	calicoNodeName   = "calico-node"
	calicoNamespace  = "kube-system"
	calicoConfigName = "calico-config"
	backendKey       = "calico_backend"
)

// docSeparator separates the documents of the release manifests. Splitting on it and joining
// with it reproduces the source byte for byte.
var docSeparator = []byte("\n---\n")

var versionPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// RenderManifest returns the Calico release manifest for o.Mode with the pool, backend,
// node-address and pull-policy settings of o. Only the documents those settings change are
// re-serialised; every other document is byte-identical to the embedded release manifest.
func RenderManifest(o ManifestOptions) ([]byte, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	file := manifestFile(o.Mode)
	src, err := readRelease(o.Version, file)
	if err != nil {
		return nil, err
	}
	docs := bytes.Split(src, docSeparator)
	var foundNode, foundConfig bool
	replaced := map[string]bool{}
	for i, raw := range docs {
		obj, err := parseDoc(raw)
		if err != nil {
			return nil, fmt.Errorf("%s document %d: %w", file, i+1, err)
		}
		if obj == nil {
			continue
		}
		kind, name, namespace := identity(obj)
		changed := false
		switch {
		case kind == "ConfigMap" && name == calicoConfigName && namespace == calicoNamespace:
			foundConfig = true
			if changed, err = setBackend(obj, o.Mode.Backend()); err != nil {
				return nil, fmt.Errorf("%s ConfigMap %s/%s: %w", file, namespace, name, err)
			}
		case kind == "DaemonSet" && name == calicoNodeName && namespace == calicoNamespace:
			foundNode = true
			if changed, err = configureNode(obj, o); err != nil {
				return nil, fmt.Errorf("%s DaemonSet %s/%s: %w", file, namespace, name, err)
			}
		}
		if podSpecPath(kind) != nil {
			c, err := setPullPolicy(obj, kind, o.PullPolicy)
			if err != nil {
				return nil, fmt.Errorf("%s %s %s/%s: %w", file, kind, namespace, name, err)
			}
			changed = changed || c
			c, err = replaceImages(obj, kind, o.Images, replaced)
			if err != nil {
				return nil, fmt.Errorf("%s %s %s/%s: %w", file, kind, namespace, name, err)
			}
			changed = changed || c
		}
		if !changed {
			continue
		}
		if docs[i], err = reserialise(raw, obj); err != nil {
			return nil, fmt.Errorf("%s %s %s/%s: %w", file, kind, namespace, name, err)
		}
	}
	if !foundNode {
		return nil, fmt.Errorf("%s of Calico %s has no DaemonSet %s/%s to configure", file, o.Version, calicoNamespace, calicoNodeName)
	}
	if !foundConfig {
		return nil, fmt.Errorf("%s of Calico %s has no ConfigMap %s/%s to configure", file, o.Version, calicoNamespace, calicoConfigName)
	}
	for _, from := range slices.Sorted(maps.Keys(o.Images)) {
		if !replaced[from] {
			return nil, fmt.Errorf("no container of %s of Calico %s runs %s, so it cannot run %s instead: name an image of that manifest", file, o.Version, from, o.Images[from])
		}
	}
	return bytes.Join(docs, docSeparator), nil
}

func (o ManifestOptions) validate() error {
	if _, err := normaliseVersion(o.Version); err != nil {
		return err
	}
	if err := validateNetwork(o.Mode, o.PodCIDR, o.NodeInterface); err != nil {
		return err
	}
	for from, to := range o.Images {
		if from == "" || to == "" {
			return fmt.Errorf("image replacement %q -> %q: name both the manifest's image and the one to run", from, to)
		}
	}
	switch o.PullPolicy {
	case corev1.PullIfNotPresent, corev1.PullNever:
		return nil
	case "":
		return fmt.Errorf("PullPolicy is empty: use %s or %s", corev1.PullIfNotPresent, corev1.PullNever)
	case corev1.PullAlways:
		return fmt.Errorf("PullPolicy %s is not allowed: the suite never makes a node pull; use %s or %s",
			o.PullPolicy, corev1.PullIfNotPresent, corev1.PullNever)
	default:
		return fmt.Errorf("PullPolicy %q is not a pull policy: use %s or %s", o.PullPolicy, corev1.PullIfNotPresent, corev1.PullNever)
	}
}

// manifestFile is the release manifest a mode starts from.
func manifestFile(m Mode) string {
	if m == ModeVXLAN {
		return "calico-vxlan.yaml"
	}
	return "calico.yaml"
}

// normaliseVersion returns the version without a leading "v", or a one-line error.
func normaliseVersion(v string) (string, error) {
	if v == "" {
		return "", errors.New("version is empty: want a Calico release such as 3.28.5")
	}
	n := strings.TrimPrefix(v, "v")
	if !versionPattern.MatchString(n) {
		return "", fmt.Errorf("version %q is not a Calico release: want e.g. 3.28.5", v)
	}
	return n, nil
}

// readRelease reads one release manifest of a version from manifests.FS.
func readRelease(version, file string) ([]byte, error) {
	v, err := normaliseVersion(version)
	if err != nil {
		return nil, err
	}
	name := path.Join("calico", "v"+v, file)
	b, err := fs.ReadFile(manifests.FS, name)
	if errors.Is(err, fs.ErrNotExist) {
		have, lerr := embeddedVersions()
		if lerr != nil {
			return nil, fmt.Errorf("version %s is not embedded (no manifests/%s), and listing the embedded versions failed: %w", v, name, lerr)
		}
		return nil, fmt.Errorf("version %s is not embedded (no manifests/%s): embedded Calico versions are %s", v, name, strings.Join(have, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("read manifests/%s: %w", name, err)
	}
	return b, nil
}

// embeddedVersions lists the Calico versions under manifests/calico, without the "v".
func embeddedVersions() ([]string, error) {
	entries, err := fs.ReadDir(manifests.FS, "calico")
	if err != nil {
		return nil, fmt.Errorf("list manifests/calico: %w", err)
	}
	var have []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "v") {
			have = append(have, strings.TrimPrefix(e.Name(), "v"))
		}
	}
	if len(have) == 0 {
		return []string{"none"}, nil
	}
	return have, nil
}

// ManifestImages returns the sorted, de-duplicated images of every container and init container
// of the workloads (DaemonSet, Deployment, StatefulSet, ReplicaSet, Job, CronJob, Pod) in a
// multi-document manifest such as RenderManifest's output.
func ManifestImages(doc []byte) ([]string, error) {
	seen := map[string]bool{}
	for i, raw := range bytes.Split(doc, docSeparator) {
		obj, err := parseDoc(raw)
		if err != nil {
			return nil, fmt.Errorf("manifest document %d: %w", i+1, err)
		}
		if obj == nil {
			continue
		}
		kind, name, namespace := identity(obj)
		if podSpecPath(kind) == nil {
			continue
		}
		err = eachContainer(obj, kind, func(c map[string]any) error {
			img, ok := c["image"].(string)
			if !ok || img == "" {
				return fmt.Errorf("container %v has no image", c["name"])
			}
			seen[img] = true
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("manifest %s %s/%s: %w", kind, namespace, name, err)
		}
	}
	images := make([]string, 0, len(seen))
	for img := range seen {
		images = append(images, img)
	}
	sort.Strings(images)
	return images, nil
}

// parseDoc decodes one YAML document into a generic object; numbers stay json.Number so that
// re-serialising does not turn integers into floats. It returns nil for a document with no
// content (only comments or separators).
func parseDoc(raw []byte) (map[string]any, error) {
	var obj map[string]any
	if err := yaml.Unmarshal(raw, &obj, func(d *json.Decoder) *json.Decoder {
		d.UseNumber()
		return d
	}); err != nil {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	if len(obj) == 0 {
		return nil, nil
	}
	return obj, nil
}

func identity(obj map[string]any) (kind, name, namespace string) {
	kind, _ = obj["kind"].(string)
	if meta, ok := obj["metadata"].(map[string]any); ok {
		name, _ = meta["name"].(string)
		namespace, _ = meta["namespace"].(string)
	}
	return kind, name, namespace
}

// reserialise writes obj in place of the document raw, keeping raw's leading separator and
// comment lines (such as "# Source: ...") and its trailing newlines.
func reserialise(raw []byte, obj map[string]any) ([]byte, error) {
	out, err := yaml.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("serialise: %w", err)
	}
	var b bytes.Buffer
	b.Write(header(raw))
	b.Write(bytes.TrimRight(out, "\n"))
	b.Write(raw[len(bytes.TrimRight(raw, "\n")):])
	return b.Bytes(), nil
}

// header is the leading run of "---", comment and blank lines of a document.
func header(raw []byte) []byte {
	n := 0
	for n < len(raw) {
		end := bytes.IndexByte(raw[n:], '\n')
		if end < 0 {
			break
		}
		line := bytes.TrimSpace(raw[n : n+end])
		if len(line) != 0 && !bytes.Equal(line, []byte("---")) && line[0] != '#' {
			break
		}
		n += end + 1
	}
	return raw[:n]
}

// setBackend sets calico_backend in the calico-config ConfigMap.
func setBackend(cm map[string]any, backend string) (bool, error) {
	data, err := child(cm, "data")
	if err != nil {
		return false, err
	}
	if data[backendKey] == backend {
		return false, nil
	}
	data[backendKey] = backend
	return true, nil
}

// configureNode sets the pool, encapsulation and node-address environment of the calico-node
// container.
func configureNode(ds map[string]any, o ManifestOptions) (bool, error) {
	spec, err := podSpec(ds, "DaemonSet")
	if err != nil {
		return false, err
	}
	var node map[string]any
	err = eachIn(spec, "containers", func(c map[string]any) error {
		if c["name"] == calicoNodeName && node == nil {
			node = c
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	if node == nil {
		return false, fmt.Errorf("no container %q", calicoNodeName)
	}
	vars := [][2]string{
		{"CALICO_IPV4POOL_CIDR", o.PodCIDR},
		{"CALICO_IPV4POOL_IPIP", o.Mode.PoolIPIP()},
		{"CALICO_IPV4POOL_VXLAN", o.Mode.PoolVXLAN()},
	}
	if o.NodeInterface != "" {
		vars = append(vars, [2]string{"IP_AUTODETECTION_METHOD", "interface=" + interfaceRegex(o.NodeInterface)})
	}
	changed := false
	for _, v := range vars {
		c, err := setEnv(node, v[0], v[1])
		if err != nil {
			return false, fmt.Errorf("container %s: %w", calicoNodeName, err)
		}
		changed = changed || c
	}
	return changed, nil
}

// setEnv sets a literal environment variable on a container, replacing any value or valueFrom
// it had, or appending it.
func setEnv(container map[string]any, name, value string) (bool, error) {
	var env []any
	if raw, ok := container["env"]; ok && raw != nil {
		if env, ok = raw.([]any); !ok {
			return false, fmt.Errorf("env is a %T, not a list", raw)
		}
	}
	for i, e := range env {
		v, ok := e.(map[string]any)
		if !ok {
			return false, fmt.Errorf("env item %d is a %T, not an object", i, e)
		}
		if v["name"] != name {
			continue
		}
		_, hasFrom := v["valueFrom"]
		if v["value"] == value && !hasFrom {
			return false, nil
		}
		delete(v, "valueFrom")
		v["value"] = value
		return true, nil
	}
	container["env"] = append(env, map[string]any{"name": name, "value": value})
	return true, nil
}

// setPullPolicy sets imagePullPolicy on every container and init container of a workload.
func setPullPolicy(obj map[string]any, kind string, policy corev1.PullPolicy) (bool, error) {
	changed := false
	err := eachContainer(obj, kind, func(c map[string]any) error {
		if c["imagePullPolicy"] != string(policy) {
			c["imagePullPolicy"] = string(policy)
			changed = true
		}
		return nil
	})
	return changed, err
}

// replaceImages sets, on every container and init container of a workload, the image that
// images maps its image to, and records which keys it met.
func replaceImages(obj map[string]any, kind string, images map[string]string, met map[string]bool) (bool, error) {
	if len(images) == 0 {
		return false, nil
	}
	changed := false
	err := eachContainer(obj, kind, func(c map[string]any) error {
		img, _ := c["image"].(string)
		if to, ok := images[img]; ok {
			met[img] = true
			if to != img {
				c["image"] = to
				changed = true
			}
		}
		return nil
	})
	return changed, err
}

// podSpecPath is where a workload kind keeps its pod spec; nil for kinds that have none.
func podSpecPath(kind string) []string {
	switch kind {
	case "DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "Job":
		return []string{"spec", "template", "spec"}
	case "CronJob":
		return []string{"spec", "jobTemplate", "spec", "template", "spec"}
	case "Pod":
		return []string{"spec"}
	}
	return nil
}

// podSpec returns a workload's pod spec.
func podSpec(obj map[string]any, kind string) (map[string]any, error) {
	spec := obj
	for _, key := range podSpecPath(kind) {
		var err error
		if spec, err = child(spec, key); err != nil {
			return nil, err
		}
	}
	return spec, nil
}

// eachContainer calls fn for every init container and container of a workload's pod spec.
func eachContainer(obj map[string]any, kind string, fn func(map[string]any) error) error {
	spec, err := podSpec(obj, kind)
	if err != nil {
		return err
	}
	for _, key := range []string{"initContainers", "containers"} {
		if err := eachIn(spec, key, fn); err != nil {
			return err
		}
	}
	return nil
}

// eachIn calls fn for every object of the list under key in a pod spec; a missing list is empty.
func eachIn(spec map[string]any, key string, fn func(map[string]any) error) error {
	raw, ok := spec[key]
	if !ok || raw == nil {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		return fmt.Errorf("%s is a %T, not a list", key, raw)
	}
	for i, item := range list {
		c, ok := item.(map[string]any)
		if !ok {
			return fmt.Errorf("%s item %d is a %T, not an object", key, i, item)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// child returns the object under key.
func child(obj map[string]any, key string) (map[string]any, error) {
	raw, ok := obj[key]
	if !ok {
		return nil, fmt.Errorf("no %q field", key)
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%q is a %T, not an object", key, raw)
	}
	return m, nil
}
