"""Which filters exist, where each came from, and whether it is usable.

Three sources, in order: the built-ins; installed packages that register classes in the
``creator_studio.filters`` entry-point group; and the user's plugins folder (single ``.py``
modules, packages, or unpacked plugin projects with a ``pyproject.toml``). Safe mode loads only
the built-ins (and models, which are data, not code). Nothing that fails to load can stop the
app: the failure becomes a status line with the reason.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import logging
import sys
import threading
import tomllib
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from studio.effects.api import I420, Filter, check_filter_class

ENTRY_POINT_GROUP = "creator_studio.filters"
BUILTIN = "built-in"
ENTRY_POINT = "entry point"
FOLDER = "plugins folder"
MODEL = "model"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginLoader:
    """How a fresh process imports a third-party filter class again (picklable).

    ``folder``: the plugins-folder entry at ``path``, loaded exactly as the registry loads it;
    ``entry``: an entry point's ``module:attr`` value; ``module``: a class importable by its
    module name (``path`` is the module's file, used when that name cannot be imported).
    """

    filter_id: str
    kind: Literal["folder", "entry", "module"]
    path: str = ""
    value: str = ""


# Classes a registry loaded from a plugin folder or an entry point, so that another registry
# holding the same class (the effects panel's scratch registries) runs it the same way.
_CLASS_LOADERS: weakref.WeakKeyDictionary[type, PluginLoader] = weakref.WeakKeyDictionary()


def loader_for(cls: type[Filter]) -> PluginLoader | None:
    """How a worker process can import ``cls``; None when it cannot (a class defined inside a
    function, or in a ``__main__`` script)."""
    known = _CLASS_LOADERS.get(cls)
    if known is not None:
        return known
    module = sys.modules.get(cls.__module__)
    if "<locals>" in cls.__qualname__ or module is None or cls.__module__ in ("__main__", "__mp_main__"):
        return None
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None) or ""
    if spec is not None and spec.submodule_search_locations and origin.endswith("__init__.py"):
        origin = str(Path(origin).parent)
    return PluginLoader(cls.id, "module", path=origin, value=f"{cls.__module__}:{cls.__qualname__}")


def load_plugin_class(loader: PluginLoader) -> type[Filter]:
    """Import the class ``loader`` describes (in a plugin worker process), the registry's way."""
    objects: list[Any]
    if loader.kind == "folder":
        objects = _load_folder_entry(Path(loader.path))
    else:
        module_name, _, attr = loader.value.partition(":")
        try:
            obj: Any = importlib.import_module(module_name.strip())
        except ModuleNotFoundError:
            if loader.kind != "module" or not loader.path:
                raise
            obj = _import_path(Path(loader.path), module_name.strip())
        for part in filter(None, attr.strip().split(".")):
            obj = getattr(obj, part)
        objects = [obj]
    for obj in objects:
        for cls in _filter_classes(obj):
            if getattr(cls, "id", None) == loader.filter_id:
                return cls
    raise ImportError(f"{loader.path or loader.value} no longer defines the filter {loader.filter_id}")


@dataclass
class FilterStatus:
    """One row of the plugin list: ``enabled`` false means ``error`` says why."""

    id: str
    name: str = ""
    version: int = 0
    origin: str = BUILTIN
    source: str = ""
    enabled: bool = True
    error: str = ""
    failures: int = 0

    @property
    def third_party(self) -> bool:
        return self.origin in (ENTRY_POINT, FOLDER)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "origin": self.origin,
            "source": self.source,
            "enabled": self.enabled,
            "error": self.error,
            "failures": self.failures,
        }


class Registry:
    def __init__(self) -> None:
        self._classes: dict[str, type[Filter]] = {}
        self._status: dict[str, FilterStatus] = {}
        self._loaders: dict[str, PluginLoader | None] = {}
        self._lock = threading.Lock()

    def register(
        self, cls: type[Filter], origin: str = BUILTIN, source: str = "", loader: PluginLoader | None = None
    ) -> None:
        """Add a filter class; a bad class or a taken id becomes a disabled status row.

        ``loader`` says how a plugin worker process imports a third-party class again (found
        from the class when not given)."""
        try:
            check_filter_class(cls)
        except Exception as exc:
            key = getattr(cls, "id", "") or source or repr(cls)
            self._status[key] = FilterStatus(key, origin=origin, source=source, enabled=False, error=str(exc))
            log.warning("filter %s from %s not loaded: %s", key, source or origin, exc)
            return
        existing = self._status.get(cls.id)
        if existing is not None and existing.enabled and cls.id in self._classes:
            if self._classes[cls.id] is cls:
                return
            self._status[f"{cls.id} ({source or origin})"] = FilterStatus(
                cls.id, cls.name, cls.version, origin, source, False,
                f"id already provided by {existing.origin} {existing.source}".strip(),
            )  # fmt: skip
            return
        self._classes[cls.id] = cls
        self._status[cls.id] = FilterStatus(cls.id, cls.name or cls.id, cls.version, origin, source)
        if origin in (ENTRY_POINT, FOLDER):
            if loader is not None:
                _CLASS_LOADERS[cls] = loader
            self._loaders[cls.id] = loader or loader_for(cls)

    def record_error(self, key: str, origin: str, source: str, error: str) -> None:
        """Note a plugin that could not even be imported."""
        self._status[key] = FilterStatus(key, origin=origin, source=source, enabled=False, error=error)
        log.warning("plugin %s (%s) not loaded: %s", key, source or origin, error)

    def get(self, filter_id: str) -> type[Filter] | None:
        cls = self._classes.get(filter_id)
        status = self._status.get(filter_id)
        if cls is None or status is None or not status.enabled:
            return None
        return cls

    def status(self, filter_id: str) -> FilterStatus | None:
        return self._status.get(filter_id)

    def runs_deep(self, filter_id: str) -> bool:
        """Whether the filter can run on the HDR export's 10-bit frames: a built-in (in-process)
        I420 filter that declares ``deep``."""
        cls = self.get(filter_id)
        status = self._status.get(filter_id)
        return (
            cls is not None
            and cls.deep
            and cls.layout == I420
            and not (status is not None and status.third_party)
        )

    def loader(self, filter_id: str) -> PluginLoader | None:
        """How a worker process imports this third-party filter; None for built-ins, models and
        classes a fresh process cannot import (those run in this process, on a thread)."""
        return self._loaders.get(filter_id)

    def statuses(self) -> list[FilterStatus]:
        return sorted(self._status.values(), key=lambda s: (s.origin != BUILTIN, s.id))

    def classes(self, *, origin: str | None = None) -> list[type[Filter]]:
        return [
            c
            for i, c in sorted(self._classes.items())
            if self._status[i].enabled and (origin is None or self._status[i].origin == origin)
        ]

    def disable(self, filter_id: str, reason: str, *, quiet: bool = False) -> None:
        """Stop using a filter for the rest of the session (a crash, bad output, too slow).

        Built-in filters are only counted, never switched off. ``quiet``: the caller reports the
        failure itself (an export that stops with FilterError), so the log line stays out of
        the console.
        """
        with self._lock:
            status = self._status.get(filter_id)
            if status is None:
                return
            status.failures += 1
            status.error = reason
            switched_off = status.enabled and (status.third_party or status.origin == MODEL)
            if switched_off:
                status.enabled = False
        level = logging.INFO if quiet else logging.WARNING
        if switched_off:
            log.log(level, "filter %s disabled for this session: %s", filter_id, reason)
        else:
            log.log(level, "filter %s failed: %s", filter_id, reason)

    def enable(self, filter_id: str) -> None:
        """Try a disabled filter again (the user asked to)."""
        status = self._status.get(filter_id)
        if status is not None and filter_id in self._classes:
            status.enabled, status.error = True, ""

    def load_builtins(self) -> None:
        from studio.effects.builtins import BUILTINS

        for cls in BUILTINS:
            self.register(cls, BUILTIN, cls.__module__)

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        for ep in importlib.metadata.entry_points(group=group):
            dist = getattr(ep, "dist", None)
            source = f"{dist.name} {dist.version}" if dist is not None else ep.value
            try:
                obj = ep.load()
            except Exception as exc:
                self.record_error(ep.name, ENTRY_POINT, source, f"could not be imported: {exc!r}")
                continue
            for cls in _filter_classes(obj):
                self.register(
                    cls, ENTRY_POINT, source, PluginLoader(getattr(cls, "id", ""), "entry", value=ep.value)
                )

    def load_folder(self, folder: Path | str) -> None:
        """Load every plugin in ``folder``; a missing folder is simply empty."""
        folder = Path(folder)
        if not folder.is_dir():
            return
        for child in sorted(folder.iterdir()):
            if child.name.startswith((".", "_")):
                continue
            try:
                objects = _load_folder_entry(child)
            except Exception as exc:
                self.record_error(child.name, FOLDER, str(child), f"could not be imported: {exc!r}")
                continue
            for obj in objects:
                for cls in _filter_classes(obj):
                    loader = PluginLoader(getattr(cls, "id", ""), "folder", path=str(child))
                    self.register(cls, FOLDER, str(child), loader)

    def load_models(self, models_dir: Path | str) -> None:
        if not Path(models_dir).is_dir():
            return
        from studio.effects.onnx import model_filter_classes

        try:
            classes = model_filter_classes(Path(models_dir))
        except Exception as exc:
            self.record_error("models", MODEL, str(models_dir), str(exc))
            return
        for cls, error in classes:
            if error:
                self.record_error(cls.id, MODEL, str(models_dir), error)
            else:
                self.register(cls, MODEL, str(models_dir))


def _filter_classes(obj: Any) -> list[type[Filter]]:
    """An entry point may name one class or a list/tuple of them (or a module with FILTERS)."""
    if isinstance(obj, type):
        return [obj]
    if isinstance(obj, list | tuple):
        return [o for o in obj if isinstance(o, type)]
    filters = getattr(obj, "FILTERS", None)
    if filters is not None:
        return _filter_classes(list(filters))
    if hasattr(obj, "__dict__"):
        return [
            v
            for v in vars(obj).values()
            if isinstance(v, type) and issubclass(v, Filter) and v is not Filter and v.id
            and v.__module__ == getattr(obj, "__name__", None)
        ]  # fmt: skip
    return []


def _import_path(path: Path, name: str) -> Any:
    init = path / "__init__.py" if path.is_dir() else path
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(path)] if path.is_dir() else None
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _load_folder_entry(child: Path) -> list[Any]:
    if child.is_file() and child.suffix == ".py":
        return [_import_path(child, f"creator_studio_plugins.{child.stem}")]
    if child.is_dir() and (child / "pyproject.toml").is_file():
        return _load_project(child)
    if child.is_dir() and (child / "__init__.py").is_file():
        return [_import_path(child, child.name)]
    return []


def _load_project(project: Path) -> list[Any]:
    """An unpacked plugin project: read its entry points from pyproject.toml and import them."""
    doc = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    points: dict[str, str] = doc.get("project", {}).get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
    if not points:
        raise ImportError(f'pyproject.toml declares no [project.entry-points."{ENTRY_POINT_GROUP}"]')
    root = project / "src" if (project / "src").is_dir() else project
    if str(root) not in sys.path:
        sys.path.append(str(root))
    objects = []
    for value in points.values():
        module_name, _, attr = value.partition(":")
        obj: Any = importlib.import_module(module_name.strip())
        for part in filter(None, attr.strip().split(".")):
            obj = getattr(obj, part)
        objects.append(obj)
    return objects


_default: Registry | None = None
_default_lock = threading.Lock()


def load_registry(
    *,
    plugins_dir: Path | str | None = None,
    models_dir: Path | str | None = None,
    safe_mode: bool = False,
    entry_points: bool = True,
) -> Registry:
    """A fresh registry: built-ins, then (unless ``safe_mode``) entry points and the folder."""
    registry = Registry()
    registry.load_builtins()
    if not safe_mode:
        if entry_points:
            registry.load_entry_points()
        if plugins_dir is not None:
            registry.load_folder(plugins_dir)
    if models_dir is not None:
        registry.load_models(models_dir)
    return registry


def default_registry(*, refresh: bool = False) -> Registry:
    """The process-wide registry for the current profile (honours safe mode)."""
    global _default
    with _default_lock:
        if _default is None or refresh:
            from studio import config

            paths = config.app_paths()
            _default = load_registry(
                plugins_dir=paths.plugins, models_dir=paths.models, safe_mode=config.safe_mode()
            )
        return _default


def set_default_registry(registry: Registry | None) -> None:
    global _default
    with _default_lock:
        _default = registry
