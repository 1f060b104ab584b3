#!/usr/bin/env bash
# Rendered by github.com/calico-conformance/e2e/infra/vagrant for cluster "e2e-libvirt-2019-registry-path":
# re-render it rather than edit it. Run as root by Vagrant's shell provisioner with the
# arguments NODE_NAME NODE_IP NODE_MAC.
#
# Downloads, all made by this VM (never by the suite's host):
#   - Ubuntu packages from the box's apt mirrors: containerd, curl, gpg and their dependencies
#   - the Kubernetes apt key and kubelet, kubeadm and kubectl 1.34.4 from pkgs.k8s.io
#   - IMAGES=release: kubeadm init pulls the control-plane images from registry.k8s.io, and
#     kubelet pulls the images of the pods it runs from their registries
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: $0 NODE_NAME NODE_IP NODE_MAC (the Vagrantfile passes them)" >&2
  exit 2
fi
NODE_NAME="$1"
NODE_IP="$2"
NODE_MAC="$3"
PREFIX_LENGTH=24
KUBERNETES_VERSION=1.34.4
KUBERNETES_MINOR=1.34
PAUSE_IMAGE=registry.k8s.io/pause:3.10.1

# Provisions the Linux control plane: containerd, kubelet and kubeadm, then `kubeadm init` with
# /tmp/calico-e2e/kubeadm-init.yaml (API server and node IP on the private network, pod
# 10.244.0.0/16, services 10.96.0.0/12) and the cluster CA the host made (uploaded to
# /tmp/calico-e2e by the file provisioner; kubeadm uses a CA it finds in /etc/kubernetes/pki).
# The workers join with the token and CA hash rendered into their scripts, so nothing has to
# travel back to the host; the host reads the admin kubeconfig with
# `vagrant ssh controlplane -c 'sudo cat /etc/kubernetes/admin.conf'`.

# The private NIC: the one whose MAC the Vagrantfile set. Vagrant's own network setup is off
# (auto_config: false), so this is the only place its address is configured.
iface=""
for dev in /sys/class/net/*; do
  if [ "$(cat "$dev/address")" = "$NODE_MAC" ]; then
    iface="$(basename "$dev")"
  fi
done
if [ -z "$iface" ]; then
  echo "no network interface has MAC $NODE_MAC: the private NIC is missing (the Vagrantfile attaches it)" >&2
  exit 1
fi
if command -v netplan >/dev/null 2>&1; then
  cat >/etc/netplan/60-calico-e2e-private.yaml <<NETPLAN
network:
  version: 2
  ethernets:
    calico-e2e-private:
      match:
        macaddress: "$NODE_MAC"
      dhcp4: false
      dhcp6: false
      addresses: ["$NODE_IP/$PREFIX_LENGTH"]
NETPLAN
  chmod 0600 /etc/netplan/60-calico-e2e-private.yaml
  netplan apply
else
  # No netplan in this box: the address is set now and not kept across reboots.
  ip link set "$iface" up
  ip addr replace "$NODE_IP/$PREFIX_LENGTH" dev "$iface"
fi
echo "private NIC $iface ($NODE_MAC) has $NODE_IP/$PREFIX_LENGTH"

# Kernel settings kubeadm's preflight checks.
swapoff -a
sed -i '/\sswap\s/d' /etc/fstab
printf 'overlay\nbr_netfilter\n' >/etc/modules-load.d/kubernetes.conf
modprobe overlay
modprobe br_netfilter
cat >/etc/sysctl.d/99-kubernetes.conf <<SYSCTL
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward = 1
SYSCTL
sysctl --system >/dev/null

# containerd from the distribution, kubelet/kubeadm/kubectl from pkgs.k8s.io.
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q apt-transport-https ca-certificates curl gpg containerd
install -d -m 0755 /etc/apt/keyrings
curl -fsSL "https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/Release.key" |
  gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${KUBERNETES_MINOR}/deb/ /" \
  >/etc/apt/sources.list.d/kubernetes.list
apt-get update -q
apt-get install -y -q "kubelet=${KUBERNETES_VERSION}-*" "kubeadm=${KUBERNETES_VERSION}-*" "kubectl=${KUBERNETES_VERSION}-*"
apt-mark hold kubelet kubeadm kubectl

# containerd with the systemd cgroup driver (kubelet's) and the pinned pause image.
install -d -m 0755 /etc/containerd
containerd config default >/etc/containerd/config.toml
sed -i -e 's/SystemdCgroup = false/SystemdCgroup = true/' \
  -e "s#sandbox_image = .*#sandbox_image = \"${PAUSE_IMAGE}\"#" /etc/containerd/config.toml
systemctl restart containerd
crictl config --set runtime-endpoint=unix:///run/containerd/containerd.sock >/dev/null 2>&1 || true

# kubelet registers the private address as the node's InternalIP.
echo "KUBELET_EXTRA_ARGS=--node-ip=${NODE_IP}" >/etc/default/kubelet

install -d -m 0755 /etc/kubernetes/pki
install -m 0644 /tmp/calico-e2e/ca.crt /etc/kubernetes/pki/ca.crt
install -m 0600 /tmp/calico-e2e/ca.key /etc/kubernetes/pki/ca.key
rm -f /tmp/calico-e2e/ca.key

if [ -f /etc/kubernetes/admin.conf ]; then
  echo "kubeadm init already ran on $NODE_NAME"
else
  kubeadm init --config /tmp/calico-e2e/kubeadm-init.yaml
fi
install -d -m 0700 -o vagrant -g vagrant /home/vagrant/.kube
install -m 0600 -o vagrant -g vagrant /etc/kubernetes/admin.conf /home/vagrant/.kube/config
echo "control plane $NODE_NAME is up at 192.168.56.10:6443"
