from backend_stub.cli import run

raise SystemExit(run())
