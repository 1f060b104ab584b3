#!/bin/bash
# calico/node, calico/cni and calico/kube-controllers under the names the v3.28.5 manifests use.
# calico/node runs stock Debian BIRD with the fork-only krt_tunnel lines removed from confd's templates.
. "$(dirname "$0")/lib.sh"
C=$CACHE_DIR/ctx/calico; rm -rf "$C"; mkdir -p "$C"
cp -r "$BIN" "$C/bin"; cp -r "$CACHE_DIR/calico-confd" "$C/confd"; cp -r "$CACHE_DIR/calico-nodefs" "$C/nodefs"
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
docker_build "docker.io/calico/node:v$CALICO_VERSION" "$C" Dockerfile.node
docker_build "docker.io/calico/cni:v$CALICO_VERSION" "$C" Dockerfile.cni
docker_build "docker.io/calico/kube-controllers:v$CALICO_VERSION" "$C" Dockerfile.kc
