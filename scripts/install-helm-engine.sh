#!/usr/bin/env bash
# Installs the Helm engine the chart tests render with: Helm v4 as a library, from the PyPI
# package `helm-python-sdk` (it bundles libhelm_c; no `helm` binary, no network at render
# time). Idempotent: does nothing when the pinned version is already importable.
#
# Usage: scripts/install-helm-engine.sh            (uses $PYTHON, default python3)
set -euo pipefail

PYTHON="${PYTHON:-python3}"
VERSION="0.2.2"

installed="$("$PYTHON" - <<'PY' 2>/dev/null || true
import importlib.metadata as m
try:
    import helm_python  # noqa: F401  (the native library loads on import)
    print(m.version("helm-python-sdk"))
except Exception:
    pass
PY
)"

if [ "$installed" = "$VERSION" ]; then
    echo "helm-python-sdk $VERSION already installed"
    exit 0
fi

echo "installing helm-python-sdk $VERSION (was: ${installed:-absent})"
"$PYTHON" -m pip install --quiet --disable-pip-version-check "helm-python-sdk==$VERSION"
"$PYTHON" -c 'import helm_python as h; print("helm engine:", h.helm_sdk_version())'
