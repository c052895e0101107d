#!/usr/bin/env bash
# Installs what the chart tests render and check with: Helm v4 as a library, from the PyPI
# package `helm-python-sdk` (it bundles libhelm_c; no `helm` binary, no network at render
# time), and `kubernetes-validate` (Kubernetes' OpenAPI schemas, bundled, to validate every
# rendered object strictly). Idempotent: does nothing when the pinned versions are importable.
#
# Usage: scripts/install-helm-engine.sh            (uses $PYTHON, default python3)
set -euo pipefail

PYTHON="${PYTHON:-python3}"
VERSION="0.2.2"
VALIDATE_VERSION="1.37.0"

installed="$("$PYTHON" - <<'PY' 2>/dev/null || true
import importlib.metadata as m
try:
    import helm_python  # noqa: F401  (the native library loads on import)
    import kubernetes_validate  # noqa: F401
    print(m.version("helm-python-sdk") + " " + m.version("kubernetes-validate"))
except Exception:
    pass
PY
)"

if [ "$installed" = "$VERSION $VALIDATE_VERSION" ]; then
    echo "helm-python-sdk $VERSION and kubernetes-validate $VALIDATE_VERSION already installed"
    exit 0
fi

echo "installing helm-python-sdk $VERSION, kubernetes-validate $VALIDATE_VERSION (was: ${installed:-absent})"
"$PYTHON" -m pip install --quiet --disable-pip-version-check \
    "helm-python-sdk==$VERSION" "kubernetes-validate==$VALIDATE_VERSION"
"$PYTHON" -c 'import helm_python as h; print("helm engine:", h.helm_sdk_version())'
