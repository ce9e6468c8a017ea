# The README's two commands: `make run` and `make test`. Both bootstrap .venv themselves and
# reinstall when pyproject.toml is newer than the last install.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint bench venv clean screenshot wheel-check package package-check

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/creator-studio gui

test: $(STAMP)
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen CREATOR_STUDIO_TESTING=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check studio backend_stub tests bench plugins packaging
	$(BIN)/ruff format --check studio backend_stub tests bench plugins packaging

# Build the sdist and wheel, install the wheel into a fresh venv outside the checkout and run it
# there (doctor, a render with text compared with the checkout's, an old profile); about a minute.
wheel-check: $(STAMP)
	QT_QPA_PLATFORM=offscreen CREATOR_STUDIO_TESTING=1 CREATOR_STUDIO_WHEEL_CHECK=1 \
		$(BIN)/python -m pytest tests/packaging -m wheel -p no:cacheprovider $(PYTEST_ARGS)

# The app as a one-folder PyInstaller build (dist/creator-studio/) and its Linux tarball
# (dist/creator-studio-VERSION-linux-ARCH.tar.gz); see docs/packaging.md. About 2 minutes on 2 cores;
# build/pyinstaller keeps PyInstaller's cache between runs.
PACKAGE_STAMP := $(VENV)/.installed-package

$(PACKAGE_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,package]'
	@touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/creator-studio.spec
	$(BIN)/python packaging/tarball.py dist/creator-studio

# Unpack the tarball into a new temporary folder and run its --self-test there (offscreen, a
# fresh CREATOR_STUDIO_HOME, nothing of the checkout on the paths), then its install.sh.
package-check: $(STAMP)
	$(BIN)/python packaging/check.py

bench: $(STAMP)
	@set -e; for b in bench/*.py; do echo "== $$b"; QT_QPA_PLATFORM=offscreen $(BIN)/python $$b; done

screenshot: $(STAMP)
	QT_QPA_PLATFORM=offscreen CREATOR_STUDIO_SCREENSHOTS=1 $(BIN)/python -m pytest tests/ui/test_screenshot.py \
		tests/ui/test_editor.py::test_editor_screenshot \
		tests/ui/test_analytics.py::test_analytics_screenshot_light_and_dark -q

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
