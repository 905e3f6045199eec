"""Find the models of a models directory: `<layer>/<table>.sql` files and `<layer>/*.py` modules."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from databank.schema.model import LAYERS
from databank.transform.errors import ModelDefinitionError
from databank.transform.header import parse_model
from databank.transform.model import Model
from databank.transform.python_model import model_of


def default_models_dir() -> Path:
    """The package's own models (`databank/models`)."""
    return Path(str(resources.files("databank"))) / "models"


def load_models(models_dir: Path | None, extra: Iterable[Model] = ()) -> dict[str, Model]:
    """Every model of `models_dir` (a missing folder has none) plus `extra`, by target name."""
    found: dict[str, Model] = {}

    def add(model: Model) -> None:
        if model.layer not in LAYERS or model.layer == "bronze":
            raise ModelDefinitionError(
                f"model {model.name}: models write silver, gold, platinum or meta tables"
            )
        previous = found.get(model.name)
        if previous is not None and previous is not model:
            raise ModelDefinitionError(
                f"two models write {model.name}: {previous.path or previous.function} "
                f"and {model.path or model.function}"
            )
        found[model.name] = model

    if models_dir is not None and models_dir.is_dir():
        for path in sorted(models_dir.glob("*/*.sql")):
            name = f"{path.parent.name}.{path.stem}"
            add(parse_model(path.read_text("utf-8"), name, path))
        packaged = models_dir.resolve() == default_models_dir().resolve()
        for path in sorted(models_dir.glob("*/*.py")):
            if path.name.startswith("_"):
                continue
            for model in _python_models(path, packaged):
                add(model)
    for model in extra:
        add(model)
    return found


def _python_models(path: Path, packaged: bool) -> list[Model]:
    """The models a module registers; the package's own modules import under their real name."""
    try:
        if packaged:
            module = importlib.import_module(f"databank.models.{path.parent.name}.{path.stem}")
        else:
            digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
            module_name = f"databank_models_{digest}.{path.parent.name}.{path.stem}"
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise ModelDefinitionError(f"{path}: cannot import this Python model module")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
    except ModelDefinitionError:
        raise
    except Exception as exc:
        raise ModelDefinitionError(
            f"{path}: importing it failed: {type(exc).__name__}: {exc}"
        ) from exc
    models = []
    for value in vars(module).values():
        model = model_of(value)
        if model is not None and model not in models:
            models.append(model)
    return models
