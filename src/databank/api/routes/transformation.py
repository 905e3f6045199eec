"""Transformation and view APIs: trigger silver/gold models, follow jobs, refresh gold "views"."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from databank.api.deps import get_bank, require_scope
from databank.api.errors import ApiError
from databank.api.transform_jobs import JobManager, app_jobs, app_runner
from databank.auth import Principal
from databank.transform.runner import Runner

router = APIRouter(tags=["transformation"])


class TransformationRequest(BaseModel):
    """The spec's `TransformationRequest`."""

    source_tables: list[str] = Field(default_factory=list, max_length=100)
    target_table: str = Field(min_length=1, max_length=200)
    transformation_type: Literal["full_refresh", "incremental", "merge"]
    business_rules: dict[str, Any] | None = None


class ViewRefreshRequest(BaseModel):
    """The spec's `ViewRefreshRequest`."""

    view_names: list[str] = Field(min_length=1, max_length=100)
    refresh_mode: Literal["concurrent", "sequential"] = "concurrent"
    force_rebuild: bool = False


def get_runner(request: Request) -> Runner:
    """The application's model runner (the one micro-batches use too)."""
    return app_runner(request.app.state, get_bank(request))


def get_jobs(request: Request, runner: Runner = Depends(get_runner)) -> JobManager:
    """The application's job manager (made on first use)."""
    return app_jobs(request.app.state, runner)


def resolve_model(runner: Runner, name: str) -> str:
    """`layer.table` of a model given by either form; 404 listing the valid names otherwise."""
    if name in runner.models:
        return name
    matches = [m for m in runner.models if m.split(".", 1)[-1] == name]
    if len(matches) == 1:
        return matches[0]
    raise ApiError(
        404,
        "unknown_model",
        f"no model {name!r}",
        details={"valid_models": sorted(runner.models)},
    )


def _known_table(runner: Runner, name: str) -> None:
    from databank.errors import UnknownTableError
    from databank.schema.model import load_schema

    if name in runner.models or any(m.split(".", 1)[-1] == name for m in runner.models):
        return
    try:
        load_schema().table(name)
    except UnknownTableError:
        raise ApiError(
            404,
            "unknown_table",
            f"no table {name!r}",
            details={"valid_tables": sorted(t.qualified for t in load_schema().tables)},
        ) from None


@router.post("/api/v1/transformation/silver/trigger", status_code=202)
def trigger_transformation(
    body: TransformationRequest,
    runner: Runner = Depends(get_runner),
    jobs: JobManager = Depends(get_jobs),
    caller: Principal = Depends(require_scope("transform")),
) -> dict[str, Any]:
    """Queue a run of `target_table`'s model; answer at once with the job to follow."""
    target = resolve_model(runner, body.target_table)
    for source in body.source_tables:
        _known_table(runner, source)
    declared = runner.models[target].kind.value
    if body.transformation_type != "full_refresh" and body.transformation_type != declared:
        raise ApiError(
            422,
            "kind_mismatch",
            f"model {target} is declared {declared!r}; ask for {declared!r} or 'full_refresh'",
        )
    job = jobs.submit(
        [target],
        full_refresh=body.transformation_type == "full_refresh",
        transformation_type=body.transformation_type,
    )
    return job.to_response()


@router.get("/api/v1/transformation/models")
def list_models(
    runner: Runner = Depends(get_runner),
    caller: Principal = Depends(require_scope("read", "transform")),
) -> dict[str, Any]:
    """Every model in run order, with its kind and the tables it reads."""
    return {
        "models": [
            {
                "name": name,
                "kind": runner.models[name].kind.value,
                "depends_on": sorted(runner.models[name].depends_on),
            }
            for name in runner.plan()
        ]
    }


@router.get("/api/v1/transformation/jobs/{job_id}")
def transformation_job(
    job_id: str,
    jobs: JobManager = Depends(get_jobs),
    caller: Principal = Depends(require_scope("read", "transform")),
) -> dict[str, Any]:
    """A job's status, and its run report once finished."""
    job = jobs.get(job_id)
    if job is None:
        raise ApiError(404, "unknown_job", f"no transformation job {job_id!r}")
    return job.to_response()


@router.post("/api/v1/gold/views/refresh", status_code=202)
def refresh_views(
    body: ViewRefreshRequest,
    runner: Runner = Depends(get_runner),
    jobs: JobManager = Depends(get_jobs),
    caller: Principal = Depends(require_scope("transform")),
) -> dict[str, Any]:
    """Refresh gold tables in dependency order.

    Both modes keep readers unblocked: a rebuild is swapped in atomically, so `concurrent` and
    `sequential` differ only in intent; the runner refreshes one table at a time in
    `refresh_order`.
    """
    names = [resolve_model(runner, v) for v in body.view_names]
    order = runner.refresh_order(names)
    job = jobs.submit(order, full_refresh=body.force_rebuild, transformation_type="refresh")
    return {
        "refresh_job_id": job.job_id,
        "views_scheduled": len(order),
        "estimated_completion": job.estimated_completion,
        "refresh_order": order,
        "refresh_mode": body.refresh_mode,
    }


@router.get("/api/v1/lineage/trace/{table_name}")
async def lineage_trace(
    table_name: str,
    request: Request,
    layer: str | None = None,
    column: str | None = None,
    caller: Principal = Depends(require_scope("read")),
) -> dict[str, Any]:
    """The spec's `LineageResponse`; with `column`, that column's origins as well."""
    from databank.errors import DatabankError
    from databank.lineage.trace import column_lineage, trace

    engine = get_bank(request).engine
    try:
        response = await run_in_threadpool(trace, engine, table_name, layer)
        if column:
            response["column_lineage"] = await run_in_threadpool(
                column_lineage, engine, response["table_name"], column
            )
    except DatabankError as exc:
        raise ApiError(404, "unknown_table", exc.cause, details={"fix": exc.fix}) from None
    return response
