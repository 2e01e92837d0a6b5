#!/usr/bin/python3
"""Writes meta.json for one scenario directory made by make-dumps.sh: what made it (kernel ABI,
package versions, QEMU command line) and what is in it (size and sha256 of every file)."""

import hashlib
import json
import os
import sys


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    outdir, scenario, variant, versions_file, makedumpfile_file, seconds = sys.argv[1:7]
    with open(os.path.join(outdir, "run.json")) as f:
        run = json.load(f)
    versions = {}
    with open(versions_file) as f:
        for line in f:
            name, _, value = line.strip().partition("=")
            if name:
                versions[name] = value
    makedumpfile = {}
    with open(makedumpfile_file) as f:
        for line in f:
            name, _, value = line.rstrip("\n").partition("\t")
            if name:
                makedumpfile[name] = value
    argv = run["qemu_argv"]
    files = {}
    for name in sorted(os.listdir(outdir)):
        path = os.path.join(outdir, name)
        if name not in ("meta.json", "makedumpfile.tsv") and os.path.isfile(path):
            files[name] = {"size": os.path.getsize(path), "sha256": sha256(path)}
    meta = {
        "scenario": scenario,
        "variant": variant,
        "kernel_abi": versions.get("kernel_abi"),
        "package_versions": {k: v for k, v in versions.items() if k != "kernel_abi"},
        "qemu_argv": argv,
        "kernel_command_line": argv[argv.index("-append") + 1],
        "dump_formats_offered": run.get("formats_offered"),
        "dumps": run.get("dumps"),
        "seconds_to_panic": run.get("seconds_to_panic"),
        "seconds_total": float(seconds),
        "makedumpfile": makedumpfile,
        "files": files,
    }
    with open(os.path.join(outdir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
