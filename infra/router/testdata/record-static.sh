#!/bin/bash
# Records BIRD 1.6.8 and the kernel with the static routes of a mode without BGP (VXLAN):
#   docker run --rm --network none --pull=never --cap-add NET_ADMIN \
#     -v "$PWD/infra/router/testdata:/rec:ro" e2e.local/nettools:bird-1.6.8 /rec/record-static.sh
# The router runs render-static.golden.conf (Render's output); eth0 is one end of a veth pair.
set -e
ip link add eth0 type veth peer name peer0; ip link set peer0 up
ip addr add 172.18.0.5/16 dev eth0; ip link set eth0 up
cp /rec/render-static.golden.conf /etc/bird/bird.conf
bird -c /etc/bird/bird.conf -s /run/bird/bird.ctl
sleep 3 # the kernel protocol's first export
echo "=== birdc show route all"; birdc -s /run/bird/bird.ctl show route all
echo "=== ip route"; ip route
