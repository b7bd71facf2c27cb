"""Print `requirements-uv.lock`: the wheel of uv VERSION for each platform `make setup` knows, by its
address on the package index's file host and its sha256, each under the environment marker that
picks it (`make lock` writes the file; it needs network to PyPI).

Pip installs a wheel named by its address without reading the index's page for uv, which lists every
release uv ever had (2.6 MB): half of what installing uv cost. A platform none of the lines matches
installs nothing, and `make setup` falls back to the index.

Usage: python .ci/pin_uv.py VERSION > requirements-uv.lock
"""

from __future__ import annotations

import json
import sys
import urllib.request

# (environment marker, the wheel's platform tag): one wheel per platform, glibc or musl alike where
# uv publishes one for both.
PLATFORMS = [
    (
        'sys_platform == "linux" and platform_machine == "x86_64"',
        "manylinux_2_17_x86_64.manylinux2014_x86_64",
    ),
    (
        'sys_platform == "linux" and platform_machine == "aarch64"',
        "manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64",
    ),
    ('sys_platform == "darwin" and platform_machine == "arm64"', "macosx_11_0_arm64"),
    ('sys_platform == "darwin" and platform_machine == "x86_64"', "macosx_10_12_x86_64"),
]


def lines(version: str, files: list[dict]) -> list[str]:
    """The lock's lines for `version` from the index's list of uv files (PEP 691 `files`)."""
    by_name = {f["filename"]: f for f in files}
    out = []
    for marker, tag in PLATFORMS:
        name = f"uv-{version}-py3-none-{tag}.whl"
        if name not in by_name:
            raise SystemExit(f"pin_uv: the index has no {name}")
        wheel = by_name[name]
        out.append(f"uv @ {wheel['url']} ; {marker} \\\n    --hash=sha256:{wheel['hashes']['sha256']}")
    return out


def main() -> None:
    version = sys.argv[1]
    request = urllib.request.Request(
        "https://pypi.org/simple/uv/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]
    print(f"# uv {version}, the installer `make setup` uses, one wheel per platform by address and hash.")
    print("# Written by `make lock` (.ci/pin_uv.py); a platform no line matches takes uv from the index.")
    print("\n".join(lines(version, files)))


if __name__ == "__main__":
    main()
