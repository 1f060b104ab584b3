#!/bin/bash
# Breaking BGP must fail the BGP ingress specs, for the right reason and naming the right node:
# on one kept MODE=noencap cluster with the external router, run the ingress specs healthy, then
# under each fault in turn (restored after each), then healthy again:
#   1. the BGPPeer names a wrong AS for the router  -> the session spec fails on every node, "Bad peer AS"
#   2. TCP 179 dropped on one worker (nftables)      -> the session spec fails naming that worker only
#   3. keepOriginalNextHop withdrawn from the BGPPeer -> the next-hop spec fails naming the setting,
#      the etp-local spec names the node without endpoints that became a next hop, and the
#      finding peer-next-hop-self names the BGPPeer
#   5. serviceExternalIPs removed from the BGPConfiguration -> the external-ip and etp-local
#      specs fail and the finding service-vip-not-advertised names the Services' IPs
#   4. a wrong TCP MD5 password in the BGPPeer's Secret -> the session spec fails on every node
#   6. (first, on the settled cluster) BIRD on one worker reloaded without the router's peer, then
#      its bird.cfg put back without a reload (the state a lost SIGHUP leaves) -> the session spec
#      fails naming that worker and the finding bird-config-stale names it, and no other node
# and the sessions' password (a Secret) appears in no artifact of these runs.
set -uo pipefail
cd "$(dirname "$0")/.."
export MODE=noencap IMAGES=${IMAGES:-source} PROVIDER=kind SKIP_IMAGES=${SKIP_IMAGES:-0}
export RUN_ID=$(bin/calico-e2e run-id bgpfault)
trap 'bin/calico-e2e env >/dev/null 2>&1 && bin/calico-e2e down >/dev/null 2>&1' EXIT
fail() { echo "FAIL: $*"; exit 1; }
hack/e2e-up.sh >"/tmp/$RUN_ID-up.log" 2>&1 || { tail -20 "/tmp/$RUN_ID-up.log"; fail "the cluster did not come up"; }
eval "$(ARTIFACTS=/unused bin/calico-e2e env | grep -E '^(CLUSTER_NAME|ROUTER_NAME)=')"
. hack/lane-lib.sh   # kc
peer() { kc patch bgppeers.crd.projectcalico.org e2e-router --type merge -p "$1" >/dev/null || fail "patch the BGPPeer with $1"; }
run() { # NAME FILTER: run the selected specs; output in /tmp/$RUN_ID-NAME.log, exit code in $rc
  LABEL_FILTER="$2" hack/e2e-run.sh >"/tmp/$RUN_ID-$1.log" 2>&1; rc=$?
}

run healthy 'scenario:bgp-ingress'
[ $rc -eq 0 ] || { tail -40 "/tmp/$RUN_ID-healthy.log"; fail "the BGP ingress specs fail on a healthy cluster"; }
echo "healthy: $(grep '^cells:' "/tmp/$RUN_ID-healthy.log")"

stale=$CLUSTER_NAME-worker
stale_pod=$(kc -n kube-system get pods -l k8s-app=calico-node --field-selector "spec.nodeName=$stale" -o jsonpath='{.items[0].metadata.name}')
on_stale() { kc -n kube-system exec "$stale_pod" -c calico-node -- sh -c "$1"; }
on_stale 'c=/etc/calico/confd/config/bird.cfg; cp -p $c /tmp/bird.cfg.e2e &&
  awk "/^protocol bgp Global_/{skip=1} !skip{print} skip&&/^}/{skip=0}" /tmp/bird.cfg.e2e > $c &&
  birdcl -s /var/run/calico/bird.ctl configure >/dev/null; cp -p /tmp/bird.cfg.e2e $c' || fail "could not leave BIRD on $stale with a stale configuration"
run stale-bird 'ingress:session'
on_stale 'birdcl -s /var/run/calico/bird.ctl configure' >/dev/null || fail "could not reload BIRD on $stale"
[ $rc -ne 0 ] || fail "the session spec passed with BIRD on $stale not running its router peer"
grep -q "^finding: \[bird-config-stale\] node $stale: .*defines Global_" "/tmp/$RUN_ID-stale-bird.log" || { tail -30 "/tmp/$RUN_ID-stale-bird.log"; fail "no bird-config-stale finding naming $stale"; }
others=$(grep '^finding: \[bird-config-stale\]' "/tmp/$RUN_ID-stale-bird.log" | grep -v "node $stale: ")
[ -z "$others" ] || fail "bird-config-stale names nodes that are not broken: $others"
echo "stale BIRD configuration on $stale: $(grep -m1 -o 'finding: \[bird-config-stale\] [^.]*' "/tmp/$RUN_ID-stale-bird.log")"

peer '{"spec":{"asNumber":65002}}'
run wrong-as 'ingress:session'
peer '{"spec":{"asNumber":65001}}'
[ $rc -ne 0 ] || fail "the session spec passed with a wrong peer AS"
n=$(grep -c 'session node_.* last error: Received: Bad peer AS' "/tmp/$RUN_ID-wrong-as.log")
[ "$n" -ge 3 ] || { tail -30 "/tmp/$RUN_ID-wrong-as.log"; fail "a wrong peer AS is not named on every node (Bad peer AS on $n)"; }
echo "wrong peer AS: the session spec failed: $(grep -m1 -o 'node [^ ]* ([0-9.]*): session [^"]*' "/tmp/$RUN_ID-wrong-as.log")"

worker=$CLUSTER_NAME-worker
docker exec -i "$worker" nft -f - <<'NFT' || fail "could not block TCP 179 on $worker"
table inet e2e_bgp_fault {
  chain prerouting {
    type filter hook prerouting priority -400; policy accept;
    tcp dport 179 drop
    tcp sport 179 drop
  }
}
NFT
docker exec "$ROUTER_NAME" birdc -s /run/bird/bird.ctl restart all >/dev/null   # drop the open sessions now
run blocked-179 'ingress:session'
docker exec "$worker" nft delete table inet e2e_bgp_fault
[ $rc -ne 0 ] || fail "the session spec passed with TCP 179 blocked on $worker"
grep -q "node $worker (.*): session" "/tmp/$RUN_ID-blocked-179.log" || { tail -30 "/tmp/$RUN_ID-blocked-179.log"; fail "the failure does not name $worker"; }
others=$(grep -o 'node [^ ]* ([0-9.]*): session' "/tmp/$RUN_ID-blocked-179.log" | grep -v "node $worker " | sort -u)
[ -z "$others" ] || fail "the failure names nodes that are not broken: $others"
echo "TCP 179 blocked on $worker: $(grep -m1 -o "node $worker ([0-9.]*): session [^\"]*" "/tmp/$RUN_ID-blocked-179.log")"

peer '{"spec":{"keepOriginalNextHop":false}}'
run next-hop 'ingress:next-hop || ingress:etp-local'
peer '{"spec":{"keepOriginalNextHop":true}}'
[ $rc -ne 0 ] || fail "the next-hop spec passed without keepOriginalNextHop"
grep -q 'set keepOriginalNextHop: true on the BGPPeer' "/tmp/$RUN_ID-next-hop.log" || { tail -30 "/tmp/$RUN_ID-next-hop.log"; fail "the next-hop failure does not name keepOriginalNextHop"; }
grep -q "($CLUSTER_NAME-[a-z0-9-]*) without endpoints" "/tmp/$RUN_ID-next-hop.log" || { tail -30 "/tmp/$RUN_ID-next-hop.log"; fail "the etp-local failure does not name the node without endpoints"; }
grep -q '^finding: \[peer-next-hop-self\] BGPPeer e2e-router' "/tmp/$RUN_ID-next-hop.log" || fail "no peer-next-hop-self finding"
echo "keepOriginalNextHop withdrawn: $(grep -m1 -o 'block [^"]*learned with next hops [0-9., ]*' "/tmp/$RUN_ID-next-hop.log")"

kc patch bgpconfigurations.crd.projectcalico.org default --type json -p '[{"op":"remove","path":"/spec/serviceExternalIPs"}]' >/dev/null || fail "remove serviceExternalIPs"
run no-external-ips 'ingress:external-ip || ingress:etp-local'
kc patch bgpconfigurations.crd.projectcalico.org default --type merge -p '{"spec":{"serviceExternalIPs":[{"cidr":"198.18.10.0/24"}]}}' >/dev/null
[ $rc -ne 0 ] || fail "the external-ip specs passed without serviceExternalIPs"
grep -q 'cells: 0 passed, 2 failed' "/tmp/$RUN_ID-no-external-ips.log" || { tail -30 "/tmp/$RUN_ID-no-external-ips.log"; fail "not both external-ip and etp-local failed"; }
n=$(grep -c '^finding: \[service-vip-not-advertised\] 198.18.10.[0-9]* of Service' "/tmp/$RUN_ID-no-external-ips.log")
[ "$n" -ge 2 ] || fail "service-vip-not-advertised names $n Service IPs, want every one of both specs"
echo "serviceExternalIPs removed: $(grep -m1 -o 'finding: \[service-vip-not-advertised\] [^(]*' "/tmp/$RUN_ID-no-external-ips.log")"

password=$(kc -n kube-system get secret e2e-bgp-password -o jsonpath='{.data.password}' | base64 -d)
[ ${#password} -ge 16 ] || fail "no BGP password Secret (the sessions above ran with a TCP MD5 password from it)"
kc -n kube-system patch secret e2e-bgp-password --type merge -p '{"stringData":{"password":"not-the-routers-password"}}' >/dev/null
run wrong-password 'ingress:session'
kc -n kube-system patch secret e2e-bgp-password --type merge -p "{\"stringData\":{\"password\":\"$password\"}}" >/dev/null
[ $rc -ne 0 ] || fail "the session spec passed with a wrong BGP password"
n=$(grep -oE 'node [^ ]* \([0-9.]*\): session' "/tmp/$RUN_ID-wrong-password.log" | sort -u | wc -l)
[ "$n" -ge 3 ] || { tail -30 "/tmp/$RUN_ID-wrong-password.log"; fail "a wrong password is not named on every node ($n)"; }
echo "wrong BGP password: the session spec failed on $n nodes: $(grep -m1 -o 'node [^ ]* ([0-9.]*): session [^"]*' "/tmp/$RUN_ID-wrong-password.log")"

run healed 'scenario:bgp-ingress'
[ $rc -eq 0 ] || { tail -40 "/tmp/$RUN_ID-healed.log"; fail "the BGP ingress specs fail after every fault was removed"; }
arts=$(dirname "$(ARTIFACTS= bin/calico-e2e env | sed -n 's/^ARTIFACTS="\(.*\)"$/\1/p')")
case $arts in _artifacts/?*|*/_artifacts/?*) [ -d "$arts" ] || fail "no artifacts folder $arts" ;; *) fail "unexpected artifacts folder '$arts'" ;; esac
files=$(find "$arts" -type f | wc -l)
! grep -rqF -- "$password" "$arts" /tmp/$RUN_ID-*.log || fail "the BGP password is in the artifacts or the output"
echo "the BGP password is in none of $files artifact files nor the runs' output"
echo "PASS: healthy, then each BGP fault failed its spec naming the cause and node, then healthy again ($(grep '^cells:' "/tmp/$RUN_ID-healed.log"))"
