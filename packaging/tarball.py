"""Make the Linux tarball from PyInstaller's folder: ``dist/creator-studio-VERSION-linux-ARCH.tar.gz``.

The tarball holds one folder, ``creator-studio/``: the app (``creator-studio`` and
``_internal/``), and beside it ``share/`` (the ``.desktop`` file, the icons, the AppStream
metainfo, in the layout of ``~/.local/share``) and ``install.sh``, which puts those in the
creator's ``~/.local/share`` and a ``creator-studio`` link in ``~/.local/bin`` so that the app is
in the desktop's menu. Unpacked anywhere it runs as it is: ``creator-studio/creator-studio``.

    python packaging/tarball.py [dist/creator-studio]   # prints the tarball's path
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP_ID = "org.creatorstudio.CreatorStudio"
LINUX = HERE / "linux"

# file in packaging/linux -> where it goes in the app folder
SHARE = {
    f"{APP_ID}.desktop": f"share/applications/{APP_ID}.desktop",
    f"{APP_ID}.metainfo.xml": f"share/metainfo/{APP_ID}.metainfo.xml",
    f"{APP_ID}.png": f"share/icons/hicolor/256x256/apps/{APP_ID}.png",
    f"{APP_ID}.svg": f"share/icons/hicolor/scalable/apps/{APP_ID}.svg",
    "install.sh": "install.sh",
}


def version() -> str:
    sys.path.insert(0, str(ROOT))
    import studio

    return studio.__version__


def add_desktop_files(app: Path) -> None:
    """Copy the desktop integration files into the app folder (idempotent)."""
    for source, target in SHARE.items():
        dest = app / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(LINUX / source, dest)
    (app / "install.sh").chmod(0o755)


def _clean(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def make_tarball(app: Path, out_dir: Path) -> Path:
    if not (app / "creator-studio").is_file():
        raise SystemExit(f"{app} has no creator-studio executable: run `make package` (PyInstaller) first")
    add_desktop_files(app)
    arch = platform.machine() or "unknown"
    out = out_dir / f"creator-studio-{version()}-linux-{arch}.tar.gz"
    tmp = out.with_suffix(".tmp")
    with tarfile.open(tmp, "w:gz", compresslevel=6) as tar:
        tar.add(app, arcname="creator-studio", filter=_clean)
    tmp.replace(out)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("app", nargs="?", type=Path, default=ROOT / "dist" / "creator-studio")
    parser.add_argument(
        "--out-dir", type=Path, default=None, help="where the tarball goes (default: beside the app)"
    )
    args = parser.parse_args()
    out = make_tarball(args.app.resolve(), (args.out_dir or args.app.resolve().parent))
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
