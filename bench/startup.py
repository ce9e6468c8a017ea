"""Start-up time: `python -m studio gui --quit-when-shown` versus a bare PySide6 window, and
the packaged app (`make package`: dist/creator-studio/creator-studio gui --quit-when-shown).

All run as whole processes (interpreter or bootloader start, imports, QApplication, first
paint, exit), offscreen, alternating so that machine noise hits them alike. Prints the medians,
the difference and the ratio. Targets: the checkout's studio within 1 s of launch, the packaged
app within 1.5 s (PASS/FAIL). Without a built package (or with ``--packaged ''``) only the
first two are timed.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/startup.py [--runs 7] [--packaged PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "dist" / "creator-studio" / "creator-studio"
PACKAGED_TARGET_S = 1.5

BARE_WINDOW = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow


class Window(QMainWindow):
    painted = False

    def paintEvent(self, event):
        super().paintEvent(event)
        if not self.painted:
            self.painted = True
            QTimer.singleShot(0, self.close)


app = QApplication(sys.argv)
window = Window()
window.resize(1000, 680)
window.show()
sys.exit(app.exec())
"""


def timed(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="repetitions of each (default 7)")
    parser.add_argument(
        "--packaged",
        default=str(PACKAGED),
        help="the packaged app's executable (default dist/creator-studio/creator-studio; '' skips it)",
    )
    args = parser.parse_args()
    packaged = Path(args.packaged) if args.packaged else None
    if packaged is not None and not packaged.is_file():
        print(f"packaged app: {packaged} not built (make package); timing the checkout only")
        packaged = None
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as tmp:
        bare_script = Path(tmp) / "bare_window.py"
        bare_script.write_text(BARE_WINDOW, encoding="utf-8")
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
        env["CREATOR_STUDIO_HOME"] = str(Path(tmp) / "home")
        # An installed app runs from compiled bytecode (pip compiles on install); cache it in
        # the temp dir even where PYTHONDONTWRITEBYTECODE is set, without touching the tree.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        studio_cmd = [sys.executable, "-m", "studio", "gui", "--quit-when-shown"]
        bare_cmd = [sys.executable, str(bare_script)]
        # The packaged app as a creator starts it: nothing of this checkout or its venv in the
        # environment, its own profile, a neutral working folder.
        frozen_env = {
            k: v for k, v in env.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "CREATOR_STUDIO_"))
        }
        frozen_env["CREATOR_STUDIO_HOME"] = str(Path(tmp) / "home-packaged")
        frozen_cmd = [str(packaged), "gui", "--quit-when-shown"] if packaged is not None else []
        timed(studio_cmd, env)  # first run creates the profile folders and warms the file cache
        timed(bare_cmd, env)
        if frozen_cmd:
            timed(frozen_cmd, frozen_env, Path(tmp))
        studio, bare, frozen = [], [], []
        for _ in range(args.runs):
            studio.append(timed(studio_cmd, env))
            bare.append(timed(bare_cmd, env))
            if frozen_cmd:
                frozen.append(timed(frozen_cmd, frozen_env, Path(tmp)))
    s, b = statistics.median(studio), statistics.median(bare)
    print(f"runs: {args.runs} each, platform {env['QT_QPA_PLATFORM']}, bytecode cached (warm start)")
    print(
        f"creator-studio gui (launch -> window shown -> exit): median {s * 1000:7.0f} ms  "
        f"(min {min(studio) * 1000:.0f}, max {max(studio) * 1000:.0f})"
    )
    print(
        f"bare PySide6 QMainWindow   (baseline):             median {b * 1000:7.0f} ms  "
        f"(min {min(bare) * 1000:.0f}, max {max(bare) * 1000:.0f})"
    )
    print(
        f"difference: {(s - b) * 1000:+.0f} ms   ratio: {s / b:.2f}x   target: studio < 1000 ms -> "
        f"{'met' if s < 1.0 else 'NOT met'}"
    )
    if frozen:
        f = statistics.median(frozen)
        print(
            f"packaged app (launch -> window shown -> exit):     median {f * 1000:7.0f} ms  "
            f"(min {min(frozen) * 1000:.0f}, max {max(frozen) * 1000:.0f})  [{packaged}]"
        )
        print(
            f"packaged vs checkout: {(f - s) * 1000:+.0f} ms   ratio: {f / s:.2f}x   "
            f"target: packaged < {PACKAGED_TARGET_S * 1000:.0f} ms -> {'PASS' if f < PACKAGED_TARGET_S else 'FAIL'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
