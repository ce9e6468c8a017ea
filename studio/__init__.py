"""Creator Studio."""

# The one version source: pyproject.toml reads it ([tool.setuptools.dynamic]); the app shows it
# (doctor, About) from here, so a frozen app without package metadata knows it too.
__version__ = "0.1.0"
