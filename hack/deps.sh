#!/bin/bash
# make deps: install what this machine lacks to run the suite and its tests, and start Docker.
# Debian/Ubuntu (apt): installs the packages itself. Elsewhere: prints exactly what to install
# and exits 2. Go (go.mod's version) must already be installed: https://go.dev/dl/.
#   docker.io    the Docker engine (kind's node containers, the router, the image builds)
#   debootstrap  builds the Debian root filesystems of IMAGES=source
#   vagrant, vagrant-libvirt  validate the rendered PROVIDER=vagrant projects in `make test`
#                (without recommended packages: no qemu or libvirt daemon; nothing boots VMs here)
#   chromium     renders matrix.html headless in `make test` (the report's browser test)
set -euo pipefail
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
[ -x /usr/bin/dockerd ] || command -v dockerd >/dev/null || need+=(docker.io)
light=()
command -v vagrant >/dev/null || light+=(vagrant)
dpkg -s vagrant-libvirt >/dev/null 2>&1 || ! command -v dpkg >/dev/null || light+=(vagrant-libvirt)
command -v chromium >/dev/null || light+=(chromium)
command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || { echo "make deps: Go is not installed: install the version go.mod names from https://go.dev/dl/ (to /usr/local/go), then run make deps again" >&2; exit 2; }
if [ $(( ${#need[@]} + ${#light[@]} )) -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "make deps: this is not a Debian/Ubuntu machine: install ${need[*]} ${light[*]} (Docker engine, debootstrap, vagrant, chromium) with your package manager, start the Docker daemon, then run make deps again" >&2
    exit 2
  fi
  [ "$(id -u)" -eq 0 ] || { echo "make deps: installing ${need[*]} ${light[*]} needs root: run sudo make deps" >&2; exit 2; }
  echo "make deps: installing ${need[*]} ${light[*]}"
  apt-get update -q >/dev/null
  [ ${#need[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
  # test tools: best effort (Ubuntu has no vagrant package any more); their tests skip, saying so
  avail=()
  for p in "${light[@]}"; do
    if apt-cache show "$p" >/dev/null 2>&1; then avail+=("$p"); else echo "make deps: $p is not in this machine's apt sources: the tests that need it will skip"; fi
  done
  [ ${#avail[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${avail[@]}" >/dev/null
fi
if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { echo "make deps: the Docker daemon is not running: start it (sudo systemctl start docker), or run sudo make deps" >&2; exit 2; }
  if command -v systemctl >/dev/null && systemctl start docker 2>/dev/null; then :; else
    (nohup dockerd >/var/log/dockerd-e2e.log 2>&1 &)
  fi
  for _ in $(seq 1 60); do docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && break; sleep 1; done
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || { tail -20 /var/log/dockerd-e2e.log 2>/dev/null; echo "make deps: dockerd did not start" >&2; exit 1; }
fi
echo "make deps: ready (docker $(docker version --format '{{.Server.Version}}'), $(debootstrap --version 2>/dev/null | head -1), $(vagrant --version 2>/dev/null))"
