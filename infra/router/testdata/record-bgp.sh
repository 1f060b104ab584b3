#!/bin/bash
# Records BIRD 1.6.8's view of eBGP sessions with three "nodes", one with an MD5 password, and one
# absent peer, all in one container without a network (no kind cluster needed):
#   docker run --rm --network none --pull=never --cap-add NET_ADMIN --cap-add SYS_ADMIN \
#     -v "$PWD/infra/router/testdata:/rec:ro" e2e.local/nettools:bird-1.6.8 /rec/record-bgp.sh
# The router runs render-bgp.golden.conf (Render's output) on a bridge named eth0 (172.18.0.5);
# each node is a BIRD in its own network namespace (172.18.0.2-4, AS 64512) advertising the same
# three pod blocks with itself as next hop, as calico-node does without keepOriginalNextHop.
set -e
ip link add eth0 type bridge; ip addr add 172.18.0.5/16 dev eth0; ip link set eth0 up
for n in 2 3 4; do
  ip netns add n$n
  ip link add v$n type veth peer name eth0 netns n$n
  ip link set v$n master eth0 up
  ip -n n$n addr add 172.18.0.$n/16 dev eth0; ip -n n$n link set eth0 up; ip -n n$n link set lo up
  pw=""; [ $n = 3 ] && pw='password "s3cret-md5";'
  cat > /tmp/n$n.conf <<EOF
router id 172.18.0.$n;
protocol device {}
protocol static { route 192.168.95.128/26 blackhole; route 192.168.146.64/26 blackhole; route 192.168.240.128/26 blackhole; }
protocol bgp uplink { local as 64512; neighbor 172.18.0.5 as 65001; import none; export all; $pw }
EOF
  ip netns exec n$n bird -c /tmp/n$n.conf -s /run/bird/n$n.ctl
done
cp /rec/render-bgp.golden.conf /etc/bird/bird.conf
bird -c /etc/bird/bird.conf -s /run/bird/bird.ctl
for i in $(seq 60); do [ "$(birdc -s /run/bird/bird.ctl show protocols | grep -c Established)" = 3 ] && break; sleep 1; done
sleep 12 # the kernel protocol's scan, and a failed connect of the absent peer
echo "=== birdc show protocols all"; birdc -s /run/bird/bird.ctl show protocols all
echo "=== birdc show route all"; birdc -s /run/bird/bird.ctl show route all
echo "=== ip route"; ip route
