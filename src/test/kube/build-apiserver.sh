#!/usr/bin/env bash
# Makes a real kube-apiserver and etcd available to the tests (KubeApiServer fixture), without
# Docker: kube-apiserver is built from Go modules once and cached; etcd comes from Debian.
#
# kube-apiserver: a throwaway Go module requires k8s.io/kubernetes at KUBE_VERSION and replaces
# each `k8s.io/<staging> => ./staging/...` line of that module's go.mod with the published
# k8s.io/<staging> at STAGING_VERSION (the root module's relative replaces do not apply to a
# dependency). The build takes minutes on 2 cores; the binary is cached and this script does
# nothing when it is present. It is built into a temporary file and moved into place, so an
# interrupted build never leaves a truncated binary behind.
set -euo pipefail

KUBE_VERSION=v1.34.2
STAGING_VERSION=v0.34.2
OUT_DIR="${MODELGATE_KUBE_DIR:-$HOME/.cache/modelgate/kube/$KUBE_VERSION}"
OUT="$OUT_DIR/kube-apiserver"

install_debian() {
  local missing=("$@")
  if [ "$(id -u)" != 0 ]; then
    echo "missing ${missing[*]}: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

debs=()
command -v etcd >/dev/null || debs+=(etcd-server)
command -v kubectl >/dev/null || debs+=(kubectl)
[ ${#debs[@]} -eq 0 ] || install_debian "${debs[@]}"

# The version check also replaces a binary from an older build of this script.
[ -x "$OUT" ] && [ "$("$OUT" --version 2>/dev/null)" = "Kubernetes $KUBE_VERSION" ] && exit 0

command -v go >/dev/null || { echo "go is required to build kube-apiserver (apt-get install golang-go)" >&2; exit 1; }
echo "building kube-apiserver $KUBE_VERSION into $OUT (takes minutes, once)"
started=$SECONDS
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT_DIR"
cd "$work"
go mod init modelgate.test/kube-apiserver >/dev/null 2>&1
upstream_mod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[ -f "$upstream_mod" ] || { echo "cannot find go.mod of k8s.io/kubernetes@$KUBE_VERSION" >&2; exit 1; }
go mod edit -require "k8s.io/kubernetes@$KUBE_VERSION"
staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._/-]*\) => \./staging/.*#\1#p' "$upstream_mod")"
[ -n "$staging" ] || { echo "no staging replaces found in $upstream_mod" >&2; exit 1; }
for module in $staging; do
  go mod edit -replace "$module=$module@$STAGING_VERSION"
done
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
go mod tidy >/dev/null 2>&1 || go mod tidy
# Stamp the version (/version, --version) as Kubernetes' own build does; unstamped it says v0.0.0.
minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
go build -trimpath -ldflags "-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
  -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
  -o "$OUT_DIR/.kube-apiserver.tmp.$$" k8s.io/kubernetes/cmd/kube-apiserver
mv "$OUT_DIR/.kube-apiserver.tmp.$$" "$OUT"
echo "built kube-apiserver in $((SECONDS - started)) s"
