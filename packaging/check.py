"""``make package-check``: unpack the Linux tarball into a new temporary folder and run it there.

- ``creator-studio --self-test`` of the unpacked app, offscreen, with a fresh
  ``CREATOR_STUDIO_HOME`` and an environment cleaned of this checkout (no ``PYTHON*``, no
  virtualenv on ``PATH``, the temporary folder as working directory), so only the bundle can
  answer;
- ``install.sh`` with a temporary ``HOME``: the menu entry points at the unpacked executable,
  and ``--uninstall`` removes it again (``desktop-file-validate`` checks the entry where it is
  installed).

Exit 0 when all of that worked. Prints the self-test's lines as they come.

    python packaging/check.py [dist/creator-studio-*.tar.gz]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "org.creatorstudio.CreatorStudio"


def find_tarball() -> Path:
    found = sorted((ROOT / "dist").glob("creator-studio-*-linux-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit("no dist/creator-studio-*-linux-*.tar.gz: run `make package` first")
    return found[-1]


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    venv = os.environ.get("VIRTUAL_ENV") or str(Path(sys.prefix))
    path = [
        p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not p.startswith((venv, str(ROOT)))
    ]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "CREATOR_STUDIO_", "VIRTUAL_ENV", "LD_LIBRARY_PATH", "QT_"))
    }
    env.update(PATH=os.pathsep.join(path), CREATOR_STUDIO_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.update(extra)
    return env


def self_test(app: Path, work: Path) -> bool:
    home = work / "home"
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(app / "creator-studio"), "--self-test"],
        cwd=work,
        env=clean_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        print(f"  {line}", end="", flush=True)
    code = process.wait(timeout=600)
    print(f"self-test of the unpacked app: exit {code} in {time.perf_counter() - started:.1f} s")
    leftovers = sorted(str(p.relative_to(home)) for p in home.rglob("*")) if home.exists() else []
    if leftovers:
        print(f"FAILED: the self-test wrote into the caller's profile: {leftovers[:5]}")
        return False
    return code == 0


def install_script(app: Path, work: Path) -> bool:
    home = work / "user"
    env = clean_env(work / "unused", HOME=str(home))
    env.pop("XDG_DATA_HOME", None)
    done = subprocess.run([str(app / "install.sh")], env=env, capture_output=True, text=True, timeout=60)
    desktop = home / ".local/share/applications" / f"{APP_ID}.desktop"
    problems = []
    if done.returncode != 0:
        problems.append(f"install.sh exited {done.returncode}: {done.stderr.strip()}")
    elif f'Exec="{app}/creator-studio" %F' not in desktop.read_text(encoding="utf-8"):
        problems.append(f"the menu entry does not start {app}/creator-studio")
    elif (home / ".local/bin/creator-studio").resolve() != (app / "creator-studio").resolve():
        problems.append("~/.local/bin/creator-studio does not point at the app")
    validator = shutil.which("desktop-file-validate")
    if not problems and validator:
        checked = subprocess.run([validator, str(desktop)], capture_output=True, text=True)
        if checked.returncode != 0:
            problems.append(f"desktop-file-validate: {checked.stdout.strip()} {checked.stderr.strip()}")
    if not problems:
        gone = subprocess.run(
            [str(app / "install.sh"), "--uninstall"], env=env, capture_output=True, text=True
        )
        if gone.returncode != 0 or desktop.exists():
            problems.append(f"install.sh --uninstall left the menu entry ({gone.stderr.strip()})")
    for problem in problems:
        print(f"install.sh: FAILED: {problem}")
    if not problems:
        print(
            f"install.sh: ok (menu entry, icons, metainfo and ~/.local/bin link; uninstalled again){'' if validator else ' [desktop-file-validate not installed]'}"
        )
    return not problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("tarball", nargs="?", type=Path, default=None)
    args = parser.parse_args()
    tarball = (args.tarball or find_tarball()).resolve()
    with tempfile.TemporaryDirectory(prefix="creator-studio-package-check-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        with tarfile.open(tarball) as tar:
            tar.extractall(work / "unpacked", filter="tar")
        app = work / "unpacked" / "creator-studio"
        print(
            f"unpacked {tarball.name} ({tarball.stat().st_size / 1e6:.0f} MB) into {app} in {time.perf_counter() - started:.1f} s"
        )
        ok = self_test(app, work)
        ok = install_script(app, work) and ok
    print("package-check: ok" if ok else "package-check: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
