// Package windows reads what Windows nodes print about their container networking (HNS, VFP,
// ipconfig, DNS, BGP, firewall, kube-proxy and Calico logs) and names known problems in it.
//
// Parsers take the text a command printed and are tolerant of real output: CRLF line ends, a
// byte-order mark, PowerShell list layout (`Name : Value`) whose long values wrap onto indented
// (or, when pasted, unindented) continuation lines, `...` truncation of enumerations and table
// cells, tables whose column whitespace was collapsed, localized text and trailing spaces. Where
// a cmdlet allows it, the collector asks for JSON (see Commands) and the parsers read that too.
// Line numbers the parsers report are 1-based in the text they were given.
//
// Rules are plain functions over parsed evidence that return findings.Finding values (none when
// healthy), in the shape of package findings: pure, no cluster access, each tested on recorded
// output. Expected values (node IP, CIDRs, DNS, VNI) are always inputs, never defaults.
// Analyze runs them over one node's evidence.
//
// The package also describes the Windows side of a run: the agnhost image variant for a node's
// build (from a registry the user names), the probe pods that serve like the Linux ones (the
// host-network one a HostProcess pod, with the dial probe written for it), the DNS probe
// (Resolve-DnsName, else nslookup) and the HostProcess pod whose one script prints every
// collector's output in the "### <name>: <command>" sections of the Linux evidence.
package windows
