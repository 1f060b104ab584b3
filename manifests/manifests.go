// Package manifests holds the YAML the suite applies, embedded so a run needs no network:
// the Calico release manifests per version (calico/<version>/) and the suite's own objects.
package manifests

import "embed"

// FS is every manifest of this directory.
//
//go:embed calico
var FS embed.FS
