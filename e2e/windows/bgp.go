package windows

import "fmt"

// BgpPeer is one peer of the Windows RRAS BGP router (Get-BgpPeer), which Calico's
// windows-bgp backend configures.
type BgpPeer struct {
	Name, LocalIP, PeerIP, PeerASN, OperationMode string
	// Status is ConnectivityStatus: "Connected" when the session is up.
	Status string
	Line   int
}

// ParseBgpPeers reads Get-BgpPeer output: JSON (Select-Object ... | ConvertTo-Json) or the
// default table, also with its whitespace collapsed.
func ParseBgpPeers(out string) ([]BgpPeer, error) {
	if looksJSON(out) {
		doc, err := parseJSONDoc(out)
		if err != nil {
			return nil, fmt.Errorf("Get-BgpPeer JSON: %w", err)
		}
		var ps []BgpPeer
		for i, m := range doc.Objects {
			ps = append(ps, BgpPeer{
				Name: jsonField(m, "PeerName"), LocalIP: jsonField(m, "LocalIPAddress"), PeerIP: jsonField(m, "PeerIPAddress"),
				PeerASN: jsonField(m, "PeerASN"), OperationMode: jsonField(m, "OperationMode"),
				Status: jsonField(m, "ConnectivityStatus"), Line: doc.Lines[i]["PeerName"],
			})
		}
		return ps, nil
	}
	var ps []BgpPeer
	for _, tb := range ParseTables(out) {
		for _, r := range tb.Rows {
			if r.Get("PeerName") == "" {
				continue
			}
			ps = append(ps, BgpPeer{
				Name: r.Get("PeerName"), LocalIP: r.Get("LocalIPAddress"), PeerIP: r.Get("PeerIPAddress"),
				PeerASN: r.Get("PeerASN"), OperationMode: r.Get("OperationMode"), Status: r.Get("ConnectivityStatus"), Line: r.Line,
			})
		}
	}
	return ps, nil
}
