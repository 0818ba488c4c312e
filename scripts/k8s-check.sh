#!/usr/bin/env bash
# Validates deploy/k8s offline: every manifest of a built-in kind against the real Kubernetes
# schemas with `kubernetes-validate --strict` (PyPI; bundles the schemas of Kubernetes
# 1.25-1.37), and, where kubectl is installed, each kustomization's rendered output too.
#
# kubernetes-validate is installed once into a virtualenv under the build directory
# ($CARGO_TARGET_DIR/k8s-check-venv) unless it is already on PATH; after that no network is
# needed. The custom resources (KEDA ScaledObjects, Strimzi KafkaTopics) have no schema there:
# tests/deploy_k8s.rs checks their fields against the Deployments and the configs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Oldest Kubernetes minor we support, and the newest the validator knows.
K8S_VERSIONS=(1.28.0 1.37.0)
KV_VERSION=1.37.0

target="${CARGO_TARGET_DIR:-/var/tmp/leakwatch-target}"
venv="$target/k8s-check-venv"
if command -v kubernetes-validate >/dev/null 2>&1; then
  kv="$(command -v kubernetes-validate)"
elif [ -x "$venv/bin/kubernetes-validate" ]; then
  kv="$venv/bin/kubernetes-validate"
else
  echo "k8s-check: installing kubernetes-validate $KV_VERSION into $venv"
  mkdir -p "$target"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KV_VERSION"
  kv="$venv/bin/kubernetes-validate"
fi

# Every manifest but kustomizations and custom resources: those must all validate, and a
# built-in kind whose schema is not found (a removed apiVersion, a typo) is an error too.
mapfile -t files < <(find deploy/k8s -name '*.yaml' ! -name kustomization.yaml -print0 |
  xargs -0 grep -L -E '^apiVersion: (keda\.sh|kafka\.strimzi\.io)/' | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "k8s-check: no manifests found under deploy/k8s" >&2
  exit 1
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

status=0
check() { # check LABEL FILE...
  local label="$1" version log ok
  shift
  for version in "${K8S_VERSIONS[@]}"; do
    log="$out/log"
    ok=1
    "$kv" --strict --quiet -k "$version" "$@" >"$log" 2>&1 || ok=0
    # Custom resources in a rendered overlay have no schema; a built-in kind always has one.
    if grep -v -E "kind (ScaledObject|KafkaTopic) with api version" "$log" |
      grep -q "Couldn't find schema"; then
      ok=0
    fi
    grep -v -E "kind (ScaledObject|KafkaTopic) with api version" "$log" || true
    if [ "$ok" = 1 ]; then
      echo "k8s-check: $label against Kubernetes $version: ok"
    else
      echo "k8s-check: $label against Kubernetes $version: FAILED" >&2
      status=1
    fi
  done
}

check "${#files[@]} manifest files" "${files[@]}"

if command -v kubectl >/dev/null 2>&1; then
  for k in deploy/k8s deploy/k8s/overlays/keda deploy/k8s/strimzi; do
    rendered="$out/$(echo "$k" | tr / _).yaml"
    if ! kubectl kustomize "$k" >"$rendered"; then
      echo "k8s-check: kubectl kustomize $k FAILED" >&2
      status=1
      continue
    fi
    check "kubectl kustomize $k" "$rendered"
  done
else
  echo "k8s-check: kubectl not installed: the kustomizations were not rendered"
fi

if [ "$status" = 0 ]; then
  echo "k8s-check: deploy/k8s is valid"
else
  echo "k8s-check: deploy/k8s has errors (above)" >&2
fi
exit "$status"
