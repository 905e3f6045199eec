"""Errors of the model runner, all under `DatabankError` (the CLI prints cause and fix)."""

from __future__ import annotations

from collections.abc import Iterable

from databank.errors import DatabankError


class TransformError(DatabankError):
    """Base of the runner's errors."""


class ModelDefinitionError(TransformError):
    """A model file (header or SQL) or a Python model registration is wrong."""

    exit_code = 2


class DependencyCycleError(ModelDefinitionError):
    """Models depend on each other in a circle."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__(
            "models depend on each other in a cycle: " + " → ".join(cycle),
            "remove one of these table references so the models form a DAG",
        )
        self.cycle = cycle


class UnknownModelError(TransformError):
    """A model or layer name that no model file defines (the API answers 404 with `valid`)."""

    exit_code = 2

    def __init__(self, names: Iterable[str], valid: Iterable[str]) -> None:
        self.names = sorted(names)
        self.valid = sorted(valid)
        super().__init__(
            f"unknown model(s): {', '.join(self.names)}",
            f"valid models: {', '.join(self.valid) or '(none found)'}",
        )


class ModelRunError(TransformError):
    """A model failed while it ran (its table is left as it was before the run)."""

    retryable = True


class ChecksFailedError(ModelRunError):
    """A declared test of severity `error` failed; the model's write was rolled back."""

    retryable = False
