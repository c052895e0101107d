#!/usr/bin/env python3
"""Follows `cargo test` output (stdout and stderr merged, on stdin) for scripts/test.sh.

Every line is passed through, except that cargo's `Running <target> (<executable>)` line is
replaced by one naming the package, the target and the clock time, so a slow or failing step
is easy to find. At the end it prints every test binary with its wall-clock duration and
outcome, slowest first, and the failed ones with the command that reruns each.

Usage: cargo test ... 2>&1 | test-binaries.py ARTIFACTS
where ARTIFACTS holds the JSON messages of `cargo test --no-run --message-format=json` (they
map each test executable to its package). The exit status is 0 unless this script itself
fails; the caller takes cargo's status (`set -o pipefail`).
"""

import json
import re
import sys
import time

RUNNING = re.compile(r"^\s+Running (.+) \((.+)\)\s*$")
DOC_TESTS = re.compile(r"^\s+Doc-tests (\S+)\s*$")
RESULT = re.compile(r"^test result: (\w+)\.")
COUNTS = re.compile(r"^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored")
RERUN = re.compile(r"^error: test failed, to rerun pass `(.+)`")


def package_name(package_id):
    """The package's name from a cargo package id (`path+file:///p/name#1.0`,
    `path+file:///p#name@1.0`, or the older `name 1.0 (path+file:///p)`)."""
    if " " in package_id:
        return package_id.split(" ", 1)[0]
    path, _, fragment = package_id.partition("#")
    if "@" in fragment:
        return fragment.split("@", 1)[0]
    return path.rstrip("/").rsplit("/", 1)[-1]


def executables(artifacts_path):
    """Executable path -> (package, rerun arguments)."""
    found = {}
    with open(artifacts_path, encoding="utf-8") as artifacts:
        for line in artifacts:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("reason") != "compiler-artifact" or not message.get("executable"):
                continue
            package = package_name(message.get("package_id", ""))
            target = message.get("target", {})
            kinds = target.get("kind", [])
            if "test" in kinds:
                rerun = f"-p {package} --test {target.get('name')}"
            elif "bin" in kinds:
                rerun = f"-p {package} --bin {target.get('name')}"
            else:
                rerun = f"-p {package} --lib"
            found[message["executable"]] = (package, rerun)
    return found


def main():
    known = executables(sys.argv[1])
    finished = []  # (seconds, outcome, label, rerun)
    tests = [0, 0, 0]  # passed, failed, ignored, over every binary
    current = None  # [label, rerun, started, outcome]

    def close():
        if current is not None:
            label, rerun, started, outcome = current
            finished.append((time.monotonic() - started, outcome or "no result", label, rerun))

    out = sys.stdout
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        running = RUNNING.match(line)
        doc_tests = DOC_TESTS.match(line)
        if running or doc_tests:
            close()
            if running:
                target, executable = running.groups()
                package, rerun = known.get(executable, ("?", ""))
                label = f"{package} {target}"
            else:
                label = f"{doc_tests.group(1)} doc-tests"
                rerun = f"-p {doc_tests.group(1).replace('_', '-')} --doc"
            current = [label, rerun, time.monotonic(), None]
            out.write(f"--- {label}  (started {time.strftime('%H:%M:%S')})\n")
        else:
            counts = COUNTS.match(line)
            if counts:
                for i in range(3):
                    tests[i] += int(counts.group(i + 1))
            result = RESULT.match(line)
            rerun = RERUN.match(line)
            if result and current is not None:
                current[3] = result.group(1)
            elif rerun and current is not None:
                current[1] = rerun.group(1)  # cargo's own word for how to rerun it
            out.write(line)
        out.flush()
    close()

    out.write("\n== test binaries, slowest first (wall-clock seconds)\n")
    for seconds, outcome, label, _ in sorted(finished, reverse=True):
        out.write(f"{seconds:8.1f}  {outcome:<9}  {label}\n")
    failed = [entry for entry in finished if entry[1] != "ok"]
    if failed:
        out.write(f"\n== {len(failed)} of {len(finished)} test binaries did not pass:\n")
        for _, outcome, label, rerun in failed:
            hint = f"    rerun: cargo test {rerun}" if rerun else ""
            out.write(f"  {outcome:<9}  {label}{hint}\n")
    else:
        out.write(f"== all {len(finished)} test binaries passed\n")
    # The plain closing line: every test of every binary.
    out.write(f"tests: {tests[0]} passed, {tests[1]} failed, {tests[2]} skipped\n")
    out.flush()


if __name__ == "__main__":
    main()
