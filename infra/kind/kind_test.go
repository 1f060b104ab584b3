package kind

import "testing"

func TestNeedsShim(t *testing.T) {
	cases := []struct {
		status string
		want   bool
	}{
		{"Name:\tbash\nCapBnd:\t000001fffeffffff\n", true},  // this CI machine: bit 24 (CAP_SYS_RESOURCE) clear
		{"Name:\tbash\nCapBnd:\t000001ffffffffff\n", false}, // a normal root host
		{"Name:\tbash\nCapBnd:\t00000000a80425fb\n", true},  // docker's default container set
	}
	for _, c := range cases {
		got, err := NeedsShim(c.status)
		if err != nil || got != c.want {
			t.Errorf("NeedsShim(%q) = %v, %v; want %v", c.status, got, err, c.want)
		}
	}
	if _, err := NeedsShim("Name:\tbash\n"); err == nil {
		t.Error("NeedsShim accepted a status without CapBnd")
	}
}

func TestConfig(t *testing.T) {
	cfg := Config{Name: "x", Workers: 2, PodSubnet: "192.168.0.0/16", ServiceSubnet: "10.96.0.0/16"}.V1Alpha4()
	if !cfg.Networking.DisableDefaultCNI || len(cfg.Nodes) != 3 || cfg.Nodes[0].Role != "control-plane" || cfg.Nodes[2].Role != "worker" {
		t.Fatalf("config = %+v", cfg)
	}
	if cfg.Networking.PodSubnet != "192.168.0.0/16" || cfg.Networking.ServiceSubnet != "10.96.0.0/16" {
		t.Errorf("subnets = %s %s", cfg.Networking.PodSubnet, cfg.Networking.ServiceSubnet)
	}
}
