#!/bin/bash
# calico/node, calico/cni and calico/kube-controllers from bin-calico's outputs (below
# CACHE_DIR/CALICO_OUT), tagged CALICO_NODE_IMAGE, CALICO_CNI_IMAGE and
# CALICO_KUBE_CONTROLLERS_IMAGE: the names the v3.28.5 manifests use for the pinned module, the
# checkout's own tag (v3.28.5-src-<id>) for CALICO_SRC.
# calico/node runs stock Debian BIRD with the fork-only krt_tunnel lines removed from confd's templates.
. "$(dirname "$0")/lib.sh"
: "${CALICO_NODE_IMAGE:?}" "${CALICO_CNI_IMAGE:?}" "${CALICO_KUBE_CONTROLLERS_IMAGE:?}"
OUT=$CACHE_DIR${CALICO_OUT:+/$CALICO_OUT}
C=$OUT/ctx/calico; rm -rf "$C"; mkdir -p "$C"
cp -r "$OUT/bin" "$C/bin"; cp -r "$OUT/calico-confd" "$C/confd"; cp -r "$OUT/calico-nodefs" "$C/nodefs"
cat >"$C/Dockerfile.node" <<DF
FROM $DEBIAN_BASE_IMAGE
ENV SVDIR=/etc/service/enabled
RUN ln -sf /usr/sbin/birdc /usr/bin/birdcl && ln -sf /usr/sbin/bird /bin/bird && ln -sf /usr/sbin/bird6 /bin/bird6
COPY nodefs/etc/ /etc/
COPY nodefs/sbin/ /usr/sbin/
COPY confd/ /etc/calico/confd/
COPY bin/calico-node bin/mountns /bin/
COPY bin/calicoctl /usr/bin/calicoctl
CMD ["start_runit"]
DF
cat >"$C/Dockerfile.cni" <<DF
FROM $DEBIAN_BASE_IMAGE
COPY bin/calico-install /opt/cni/bin/install
COPY bin/calico bin/calico-ipam /opt/cni/bin/
COPY bin/cni-portmap /opt/cni/bin/portmap
COPY bin/cni-bandwidth /opt/cni/bin/bandwidth
COPY bin/cni-host-local /opt/cni/bin/host-local
COPY bin/cni-loopback /opt/cni/bin/loopback
COPY bin/cni-tuning /opt/cni/bin/tuning
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/cni/bin
CMD ["/opt/cni/bin/install"]
DF
cat >"$C/Dockerfile.kc" <<DF
FROM $DEBIAN_BASE_IMAGE
COPY bin/kube-controllers bin/check-status /usr/bin/
RUN mkdir -p /status
CMD ["/usr/bin/kube-controllers"]
DF
docker_build "$CALICO_NODE_IMAGE" "$C" Dockerfile.node
docker_build "$CALICO_CNI_IMAGE" "$C" Dockerfile.cni
docker_build "$CALICO_KUBE_CONTROLLERS_IMAGE" "$C" Dockerfile.kc
