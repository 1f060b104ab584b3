#!/usr/bin/env bash
# Makes the Cluster API for Azure cluster "lab-win" (CAPZ v1.21.0, flavor "windows": 3 Windows
# and 3 Linux workers), installs Calico v3.28.5 for Windows through the Tigera operator
# (VXLAN, HNS), runs the conformance suite against it (PROVIDER=existing), then deletes it.
#
# Rendered by infra/capz of the calico-conformance e2e suite. It never ran where it was rendered:
# docs/capz.md says what was checked there (the rendered files, the cluster template and the
# CRDs) and what only a run on Azure can show.
#
# Usage:   ./recipe.sh          create, test, delete (KEEP_CLUSTER=1 keeps the cluster)
#          ./recipe.sh down     delete what an earlier KEEP_CLUSTER=1 run kept
# Needs:   az (logged in, allowed to create role assignments), clusterctl v1.10.4, kubectl >= 1.31
#          (wait --for=create), make, and the suite's checkout in E2E_REPO (default: the current
#          directory).
# Your environment, read here and written to no file:
#   AZURE_SUBSCRIPTION_ID AZURE_TENANT_ID        the subscription and its tenant
#   AZURE_CLIENT_ID AZURE_CLIENT_SECRET          a service principal with Contributor on it
#   AZURE_LOCATION                               the region, e.g. westeurope
#   MANAGEMENT_KUBECONFIG                        the Cluster API management cluster (e.g. kind)
#   WINDOWS_REGISTRY                             the agnhost Windows images, e.g.
#                                                registry.k8s.io/e2e-test-images
set -o errexit -o nounset -o pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=cluster.env
. "$here/cluster.env"
E2E_REPO="${E2E_REPO:-$PWD}"
AZURE_RESOURCE_GROUP="${AZURE_RESOURCE_GROUP:-$CLUSTER_NAME}"
cluster_yaml="$here/$CLUSTER_NAME.yaml"
workload_kubeconfig="$here/$CLUSTER_NAME.kubeconfig"
artifacts="${ARTIFACTS_DIR:-$here/_artifacts}"
ccm_marker="$here/.$CLUSTER_NAME.cloud-provider-proxy-created"

log() { printf '%s recipe: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
# bad input or a missing prerequisite: one line, exit 2, nothing created
usage_error() { printf 'recipe: %s\n' "$*" >&2; exit 2; }
mgmt() { kubectl --kubeconfig "$MANAGEMENT_KUBECONFIG" --namespace default "$@"; }
wl() { kubectl --kubeconfig "$workload_kubeconfig" "$@"; }

require_env() {
	local v
	for v in "$@"; do
		[[ -n "${!v:-}" ]] || usage_error "$v is not set: export it first (the recipe reads AZURE_SUBSCRIPTION_ID AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_LOCATION MANAGEMENT_KUBECONFIG WINDOWS_REGISTRY from your environment)"
		export "${v?}"
	done
}

preflight() {
	require_env AZURE_SUBSCRIPTION_ID AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_LOCATION MANAGEMENT_KUBECONFIG WINDOWS_REGISTRY
	local c
	for c in az clusterctl kubectl make; do
		command -v "$c" >/dev/null || usage_error "$c is not in PATH: install it (see docs/capz.md, Prerequisites)"
	done
	local have
	have="$(clusterctl version -o short)"
	[[ "$have" == "$CAPI_VERSION" ]] || usage_error "clusterctl is $have, this recipe was checked against $CAPI_VERSION: install clusterctl $CAPI_VERSION"
	[[ -f "$MANAGEMENT_KUBECONFIG" ]] || usage_error "MANAGEMENT_KUBECONFIG=$MANAGEMENT_KUBECONFIG is not a file: point it at the management cluster's kubeconfig"
	[[ -f "$E2E_REPO/Makefile" ]] || usage_error "E2E_REPO=$E2E_REPO has no Makefile: run from the suite's checkout or set E2E_REPO"
	az account set --subscription "$AZURE_SUBSCRIPTION_ID" || usage_error "az cannot use subscription $AZURE_SUBSCRIPTION_ID: run az login"
	# CAPZ boots reference images whose versions are Kubernetes releases
	# (docs/book/src/self-managed/custom-images.md): without one for KUBERNETES_VERSION in the
	# region, machines never come up.
	local def found
	for def in capi-ubun2-2404 capi-win-2019-containerd; do
		found="$(az sig image-version list-community --public-gallery-name ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019 \
			--gallery-image-definition "$def" --location "$AZURE_LOCATION" \
			--query "[?name=='${KUBERNETES_VERSION#v}'].name" --output tsv)" ||
			usage_error "az cannot list the CAPZ reference images $def in $AZURE_LOCATION (its error is above): is AZURE_LOCATION a region?"
		[[ -n "$found" ]] || usage_error "no CAPZ reference image $def ${KUBERNETES_VERSION#v} in $AZURE_LOCATION: pick a KUBERNETES_VERSION in cluster.env that the gallery has (az sig image-version list-community --public-gallery-name ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019 --gallery-image-definition $def --location $AZURE_LOCATION)"
	done
}

# The user-assigned identity the flavor's AzureMachineTemplates attach to the VMs
# (providerID .../resourceGroups/${CI_RG}/.../userAssignedIdentities/${USER_IDENTITY}); the cloud
# provider acts with it, so it gets Contributor on the subscription, as CAPZ's
# scripts/kind-with-registry.sh gives its identity.
azure_identity() {
	log "identity $USER_IDENTITY in resource group $CI_RG"
	az group create --name "$CI_RG" --location "$AZURE_LOCATION" --output none
	az identity create --name "$USER_IDENTITY" --resource-group "$CI_RG" --location "$AZURE_LOCATION" --output none
	local principal i
	principal="$(az identity show --name "$USER_IDENTITY" --resource-group "$CI_RG" --query principalId --output tsv)"
	# a new identity takes a while to be visible to role assignments
	for i in $(seq 30); do
		az role assignment create --assignee-object-id "$principal" --assignee-principal-type ServicePrincipal \
			--role Contributor --scope "/subscriptions/$AZURE_SUBSCRIPTION_ID" --output none && return 0
		log "role assignment not accepted yet (try $i of 30)"
		sleep 10
	done
	return 1
}

management() {
	log "Cluster API $CAPI_VERSION, CAPZ $CAPZ_VERSION and CAAPH $CAAPH_VERSION on the management cluster"
	# clusterctl init skips a provider already installed at the same version (cmd/clusterctl/client/init.go)
	clusterctl init --kubeconfig "$MANAGEMENT_KUBECONFIG" \
		--core "cluster-api:$CAPI_VERSION" --bootstrap "kubeadm:$CAPI_VERSION" --control-plane "kubeadm:$CAPI_VERSION" \
		--infrastructure "azure:$CAPZ_VERSION" --addon "helm:$CAAPH_VERSION" \
		--wait-providers --wait-provider-timeout 900
	# the service principal's password, from your environment through a pipe (not the command line)
	if ! mgmt get secret "$AZURE_CLUSTER_IDENTITY_SECRET_NAME" --namespace "$AZURE_CLUSTER_IDENTITY_SECRET_NAMESPACE" >/dev/null 2>&1; then
		printf '%s' "$AZURE_CLIENT_SECRET" | mgmt create secret generic "$AZURE_CLUSTER_IDENTITY_SECRET_NAME" \
			--namespace "$AZURE_CLUSTER_IDENTITY_SECRET_NAMESPACE" --from-file=clientSecret=/dev/stdin
	fi
}

workload() {
	log "generate the cluster from CAPZ $CAPZ_VERSION's $FLAVOR flavor"
	env \
		KUBERNETES_VERSION="$KUBERNETES_VERSION" \
		CONTROL_PLANE_MACHINE_COUNT="$CONTROL_PLANE_MACHINE_COUNT" \
		WORKER_MACHINE_COUNT="$WORKER_MACHINE_COUNT" \
		AZURE_CONTROL_PLANE_MACHINE_TYPE="$AZURE_CONTROL_PLANE_MACHINE_TYPE" \
		AZURE_NODE_MACHINE_TYPE="$AZURE_NODE_MACHINE_TYPE" \
		CLUSTER_IDENTITY_NAME="$CLUSTER_IDENTITY_NAME" \
		CLUSTER_IDENTITY_TYPE="$CLUSTER_IDENTITY_TYPE" \
		CI_RG="$CI_RG" \
		USER_IDENTITY="$USER_IDENTITY" \
		AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY="$AZURE_CLIENT_ID" \
		clusterctl generate cluster "$CLUSTER_NAME" --kubeconfig "$MANAGEMENT_KUBECONFIG" \
		--infrastructure "azure:$CAPZ_VERSION" --flavor "$FLAVOR" --kubernetes-version "$KUBERNETES_VERSION" \
		>"$cluster_yaml"
	log "apply it: the AzureClusterIdentity first, given the password's Secret (the flavor has no field for it)"
	mgmt apply --filename "$cluster_yaml" --selector clusterctl.cluster.x-k8s.io/move-hierarchy=true
	mgmt patch azureclusteridentity "$CLUSTER_IDENTITY_NAME" --type merge --patch \
		"{\"spec\":{\"clientSecret\":{\"name\":\"$AZURE_CLUSTER_IDENTITY_SECRET_NAME\",\"namespace\":\"$AZURE_CLUSTER_IDENTITY_SECRET_NAMESPACE\"}}}"
	mgmt apply --filename "$cluster_yaml"
	log "addons through CAAPH: Calico ($CALICO_HELMCHARTPROXY) and CAPZ's cloud-provider-azure"
	mgmt label cluster "$CLUSTER_NAME" cni=lab-win-calico cloud-provider=azure --overwrite
	mgmt apply --filename "$here/calico-helmchartproxy.yaml"
	if ! mgmt get helmchartproxy cloud-provider-azure-chart >/dev/null 2>&1; then
		mgmt apply --filename https://raw.githubusercontent.com/kubernetes-sigs/cluster-api-provider-azure/v1.21.0/templates/addons/cluster-api-helm/cloud-provider-azure.yaml
		: >"$ccm_marker"
	fi
	log "wait for the control plane"
	mgmt wait --for=condition=ControlPlaneInitialized "cluster/$CLUSTER_NAME" --timeout=45m
	(umask 077 && clusterctl get kubeconfig "$CLUSTER_NAME" --kubeconfig "$MANAGEMENT_KUBECONFIG" --namespace default >"$workload_kubeconfig")
}

# CAAPH installs the chart (operator and Installation); then, as Calico's FV and windows-testing
# do: Linux calico-node ready, IPAM strict affinity, the API server address for Windows nodes,
# kube-proxy for Windows.
calico() {
	log "wait for the operator's Installation and calico-node on the Linux nodes"
	# a resource type kubectl does not know yet is an error, not a wait: wait for its CRD first
	wl wait --for=create customresourcedefinition/installations.operator.tigera.io --timeout=30m
	wl wait --for=create installation.operator.tigera.io/default --timeout=10m
	wl wait --for=create --namespace calico-system daemonset/calico-node --timeout=20m
	wl rollout status --namespace calico-system daemonset/calico-node --timeout=30m
	log "IPAM strict affinity (Calico for Windows needs it; the operator does not set it)"
	wl wait --for=create customresourcedefinition/ipamconfigs.crd.projectcalico.org --timeout=10m
	wl wait --for=create ipamconfigs.crd.projectcalico.org/default --timeout=10m
	wl patch ipamconfigs.crd.projectcalico.org default --type merge --patch '{"spec":{"strictAffinity":true}}'
	log "the API server's address for Windows nodes (tigera-operator/kubernetes-services-endpoint)"
	local server hostport host port
	server="$(wl config view --minify --output 'jsonpath={.clusters[0].cluster.server}')"
	hostport="${server#https://}"
	host="${hostport%:*}"
	port="${hostport##*:}"
	[[ "$hostport" == *:* ]] || port=443
	wl create configmap kubernetes-services-endpoint --namespace tigera-operator \
		--from-literal=KUBERNETES_SERVICE_HOST="$host" --from-literal=KUBERNETES_SERVICE_PORT="$port" \
		--dry-run=client --output yaml | wl apply --filename -
	log "kube-proxy for Windows nodes (CAPZ's addon)"
	env KUBERNETES_VERSION="$KUBERNETES_VERSION" clusterctl generate yaml --from https://raw.githubusercontent.com/kubernetes-sigs/cluster-api-provider-azure/v1.21.0/templates/addons/windows/calico/kube-proxy-windows.yaml | wl apply --filename -
}

ready() {
	log "wait for every machine and node"
	mgmt wait --for=condition=Available machinedeployment/lab-win-md-0 machinedeployment/lab-win-md-win --timeout=60m
	wl wait --for=condition=Ready nodes --all --timeout=20m
	wl wait --for=create --namespace calico-system daemonset/calico-node-windows --timeout=20m
	wl rollout status --namespace calico-system daemonset/calico-node-windows --timeout=30m
	wl rollout status --namespace kube-system daemonset/kube-proxy-windows --timeout=30m
	wl wait --for=condition=Available tigerastatus --all --timeout=20m
	wl get nodes --output wide
}

run_suite() {
	log "the suite (PROVIDER=existing never changes the cluster)"
	# CLUSTER_NAME is also a knob of the suite's Makefile (the kind cluster's name): not passed on
	env -u CLUSTER_NAME make -C "$E2E_REPO" e2e PROVIDER=existing KUBECONFIG="$workload_kubeconfig" \
		MODE="$MODE" WINDOWS_REGISTRY="$WINDOWS_REGISTRY"
}

# Evidence before teardown; a collector that fails is noted, never fatal.
diagnostics() {
	mkdir -p "$artifacts"
	log "diagnostics into $artifacts"
	clusterctl describe cluster "$CLUSTER_NAME" --kubeconfig "$MANAGEMENT_KUBECONFIG" --namespace default --show-conditions all >"$artifacts/clusterctl-describe.txt" 2>&1 || log "clusterctl describe failed (see the file)"
	mgmt get machines,azuremachines,helmchartproxies,helmreleaseproxies --output wide >"$artifacts/management.txt" 2>&1 || log "management objects: failed (see the file)"
	if [[ -f "$workload_kubeconfig" ]]; then
		wl get nodes,pods --all-namespaces --output wide >"$artifacts/workload.txt" 2>&1 || log "workload objects: failed (see the file)"
		wl get tigerastatus --output yaml >"$artifacts/tigerastatus.yaml" 2>&1 || log "tigerastatus: failed (see the file)"
		wl describe daemonsets --namespace calico-system >"$artifacts/calico-daemonsets.txt" 2>&1 || log "calico daemonsets: failed (see the file)"
	fi
}

# Best effort, in the reverse order of creation; every step that fails says what to run instead.
delete_all() {
	log "delete $CLUSTER_NAME and what the recipe made for it"
	mgmt delete helmchartproxy "$CALICO_HELMCHARTPROXY" --ignore-not-found || log "left: kubectl --kubeconfig $MANAGEMENT_KUBECONFIG delete helmchartproxy $CALICO_HELMCHARTPROXY"
	mgmt delete cluster "$CLUSTER_NAME" --ignore-not-found --timeout=60m || log "left: kubectl --kubeconfig $MANAGEMENT_KUBECONFIG delete cluster $CLUSTER_NAME"
	mgmt delete azureclusteridentity "$CLUSTER_IDENTITY_NAME" --ignore-not-found || log "left: kubectl --kubeconfig $MANAGEMENT_KUBECONFIG delete azureclusteridentity $CLUSTER_IDENTITY_NAME"
	mgmt delete secret "$AZURE_CLUSTER_IDENTITY_SECRET_NAME" --namespace "$AZURE_CLUSTER_IDENTITY_SECRET_NAMESPACE" --ignore-not-found || log "left: the Secret $AZURE_CLUSTER_IDENTITY_SECRET_NAME"
	if [[ -f "$ccm_marker" ]]; then
		if mgmt delete helmchartproxy cloud-provider-azure-chart --ignore-not-found; then
			rm -f "$ccm_marker"
		else
			log "left: kubectl --kubeconfig $MANAGEMENT_KUBECONFIG delete helmchartproxy cloud-provider-azure-chart"
		fi
	fi
	local principal
	if principal="$(az identity show --name "$USER_IDENTITY" --resource-group "$CI_RG" --query principalId --output tsv 2>/dev/null)"; then
		az role assignment delete --assignee "$principal" --role Contributor --scope "/subscriptions/$AZURE_SUBSCRIPTION_ID" || log "left: the role assignment of $USER_IDENTITY on the subscription"
	fi
	az group delete --name "$CI_RG" --yes || log "left: az group delete --name $CI_RG --yes"
	if [[ "$(az group exists --name "$AZURE_RESOURCE_GROUP")" == true ]]; then
		log "left: resource group $AZURE_RESOURCE_GROUP (CAPZ deletes it with the cluster): az group delete --name $AZURE_RESOURCE_GROUP --yes"
	fi
	rm -f "$workload_kubeconfig"
}

teardown() {
	local rc=$?
	trap - EXIT
	((rc == 0)) || diagnostics
	if [[ "${KEEP_CLUSTER:-0}" == 1 ]]; then
		log "KEEP_CLUSTER=1: kept $CLUSTER_NAME (kubeconfig $workload_kubeconfig); delete it with: $0 down"
	else
		delete_all
	fi
	exit "$rc"
}

main() {
	case "${1:-all}" in
	all)
		preflight
		trap teardown EXIT
		trap 'exit 130' INT TERM
		azure_identity
		management
		workload
		calico
		ready
		run_suite
		;;
	down)
		require_env AZURE_SUBSCRIPTION_ID MANAGEMENT_KUBECONFIG
		delete_all
		;;
	*)
		usage_error "unknown command \"$1\": use no argument (create, test, delete) or \"down\""
		;;
	esac
}

main "$@"
