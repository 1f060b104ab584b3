//go:build tools

// Package tools pins the Ginkgo CLI to the Ginkgo version in go.mod (make installs it into ./bin).
package tools

import _ "github.com/onsi/ginkgo/v2/ginkgo"
