package windows

import "time"

// Command is one named evidence collector for a Windows node: a PowerShell command line run
// through a HostProcess pod, its output written to File in the node's evidence folder. A
// failing command (a cmdlet or tool missing on that node) is recorded, never fatal.
type Command struct {
	Name       string
	PowerShell string
	File       string
	Timeout    time.Duration
}

// Args is the command line for the HostProcess pod: Windows PowerShell, UTF-8 output (so
// localized text survives), no profile, no prompts.
func (c Command) Args() []string {
	return []string{"powershell.exe", "-NoLogo", "-NoProfile", "-NonInteractive", "-Command",
		"[Console]::OutputEncoding = [System.Text.Encoding]::UTF8; $ProgressPreference = 'SilentlyContinue'; " + c.PowerShell}
}

// Commands are the collectors run on every Windows node. Cmdlets are asked for JSON
// (ConvertTo-Json -Depth 20) where they allow it, with enums cast to strings so JSON carries
// names, not numbers; tools without JSON output (hnsdiag, vfpctrl, ipconfig, netsh) are kept
// as text for the parsers of this package. The HNS cmdlets come from the HostNetworkingService
// module of Windows Server 2019 and later.
var Commands = []Command{
	{"hns-networks", `Get-HnsNetwork | ConvertTo-Json -Depth 20`, "hns-networks.json", 30 * time.Second},
	{"hns-endpoints", `Get-HnsEndpoint | ConvertTo-Json -Depth 20`, "hns-endpoints.json", 30 * time.Second},
	{"hns-policylists", `Get-HnsPolicyList | ConvertTo-Json -Depth 20`, "hns-policylists.json", 30 * time.Second},
	{"hnsdiag-list-all", `hnsdiag list all`, "hnsdiag-list-all.txt", 30 * time.Second},
	{"vfp-ports", `vfpctrl /list-vmswitch-port`, "vfp-ports.txt", 30 * time.Second},
	{"ipconfig-all", `ipconfig /all`, "ipconfig-all.txt", 15 * time.Second},
	{"net-adapters", `Get-NetAdapter | Select-Object Name, InterfaceDescription, ifIndex, @{n='Status';e={[string]$_.Status}}, MacAddress, LinkSpeed | ConvertTo-Json -Depth 20`, "net-adapters.json", 15 * time.Second},
	{"net-ip-addresses", `Get-NetIPAddress -AddressFamily IPv4 | Select-Object InterfaceAlias, InterfaceIndex, IPAddress, PrefixLength, @{n='PrefixOrigin';e={[string]$_.PrefixOrigin}} | ConvertTo-Json -Depth 20`, "net-ip-addresses.json", 15 * time.Second},
	{"net-routes", `Get-NetRoute -AddressFamily IPv4 | Select-Object ifIndex, InterfaceAlias, DestinationPrefix, NextHop, RouteMetric | ConvertTo-Json -Depth 20`, "net-routes.json", 15 * time.Second},
	{"dns-client-servers", `Get-DnsClientServerAddress -AddressFamily IPv4 | Select-Object InterfaceAlias, InterfaceIndex, ServerAddresses | ConvertTo-Json -Depth 20`, "dns-client-servers.json", 15 * time.Second},
	{"firewall-rules", `$pf = @{}; Get-NetFirewallPortFilter -All | ForEach-Object { $pf[$_.InstanceID] = $_ }; Get-NetFirewallRule -Direction Inbound | ForEach-Object { $f = $pf[$_.InstanceID]; [pscustomobject]@{Name=$_.Name; DisplayName=$_.DisplayName; Enabled=[string]$_.Enabled; Direction=[string]$_.Direction; Action=[string]$_.Action; Protocol=[string]$f.Protocol; LocalPort=@($f.LocalPort)} } | ConvertTo-Json -Depth 20`, "firewall-rules.json", 60 * time.Second},
	{"dynamic-ports", `netsh int ipv4 show dynamicport tcp; netsh int ipv4 show dynamicport udp; netsh int ipv4 show excludedportrange protocol=tcp`, "dynamic-ports.txt", 15 * time.Second},
	{"os-version", `Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' | Select-Object ProductName, DisplayVersion, CurrentBuild, UBR | ConvertTo-Json -Depth 20`, "os-version.json", 15 * time.Second},
	{"services", `Get-Service hns, vmcompute, containerd, kubelet, RemoteAccess -ErrorAction SilentlyContinue | Select-Object Name, @{n='Status';e={[string]$_.Status}} | ConvertTo-Json -Depth 20`, "services.json", 15 * time.Second},
	// windows-bgp backend only: the RRAS BGP router
	{"bgp-peers", `Get-BgpPeer | Select-Object PeerName, LocalIPAddress, PeerIPAddress, PeerASN, @{n='OperationMode';e={[string]$_.OperationMode}}, @{n='ConnectivityStatus';e={[string]$_.ConnectivityStatus}} | ConvertTo-Json -Depth 20`, "bgp-peers.json", 15 * time.Second},
	{"bgp-routes", `Get-BgpRouteInformation -Type all | Select-Object DestinationNetwork, NextHop, LearnedFromPeer, @{n='State';e={[string]$_.State}}, LocalPref, MED | ConvertTo-Json -Depth 20`, "bgp-routes.json", 15 * time.Second},
}
