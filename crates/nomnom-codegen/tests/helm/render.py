#!/usr/bin/env python3
"""Renders and lints a chart with a real Helm engine (Helm v4 as a library, from the PyPI
package helm-python-sdk), then validates every rendered object strictly against Kubernetes'
OpenAPI schemas (kubernetes-validate). Install both with scripts/install-helm-engine.sh.
Offline.

Usage: render.py CHART_DIR [-f VALUES_FILE]... [--set-json JSON] [--release NAME]
                 [--namespace NS]

Prints one JSON object: {"manifests": {template path: rendered text}, "lint": lint report,
"schema_errors": [text], "schema_unknown": [apiVersion/kind without a bundled schema]}.
Values files merge left to right, then --set-json on top, like `helm template -f ... --set`.
Exit status 2 when the engine is missing, 1 when rendering fails.
"""

import argparse
import json
import sys

try:
    import helm_python as helm
    import kubernetes_validate
    import yaml
except ImportError as exc:  # the test turns this into an actionable message
    print(f"helm engine missing ({exc}): run scripts/install-helm-engine.sh", file=sys.stderr)
    sys.exit(2)


def merge(base, override):
    """Deep merge of values dictionaries; override wins, like Helm's coalescing of -f files."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


# The Kubernetes version objects are validated against (the chart needs 1.23 or later).
KUBERNETES_VERSION = "1.30"


def validate(manifests):
    """Strictly validates every object; returns (errors, kinds that have no bundled schema)."""
    errors, unknown = [], set()
    for source, text in sorted(manifests.items()):
        if not source.endswith(".yaml"):
            continue
        for obj in yaml.safe_load_all(text):
            if not obj:
                continue
            try:
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                unknown.add(f"{obj.get('apiVersion')}/{obj.get('kind')}")
            except kubernetes_validate.ValidationError as exc:
                where = ".".join(str(p) for p in exc.path)
                errors.append(f"{source}: {obj.get('kind')} {where}: {exc.message}")
    return errors, sorted(unknown)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("chart")
    parser.add_argument("-f", "--values", action="append", default=[])
    parser.add_argument("--set-json", default="{}")
    parser.add_argument("--release", default="ingest")
    parser.add_argument("--namespace", default="nomnom")
    args = parser.parse_args()

    values = {}
    for path in args.values:
        with open(path, encoding="utf-8") as f:
            values = merge(values, helm.values_from_yaml(f.read()) or {})
    values = merge(values, json.loads(args.set_json))

    try:
        with helm.Chart.load(args.chart) as chart:
            chart.validate_schema(chart.merge_values(values))
            manifests = chart.render(
                values, name=args.release, namespace=args.namespace, is_install=True
            )
        report = helm.lint(args.chart, values, strict=True, namespace=args.namespace)
    except helm.HelmError as exc:
        print(f"helm failed: {exc}", file=sys.stderr)
        sys.exit(1)

    errors, unknown = validate(manifests)
    json.dump(
        {
            "manifests": manifests,
            "lint": report,
            "schema_errors": errors,
            "schema_unknown": unknown,
        },
        sys.stdout,
        sort_keys=True,
    )


if __name__ == "__main__":
    main()
