"""Where the steering team's shared/ folder is: beside the checkout (CI), else /work/shared."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = next(
    (p for p in (ROOT.parent / "shared", Path("/work/shared")) if p.is_dir()), ROOT.parent / "shared"
)
EXAMPLE = SHARED / "examples" / "project-minimal.json"
