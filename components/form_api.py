"""Endpoints whose parameters are the form's fields (`wanvideo.service.FormValues`).

Gradio reads an endpoint's parameters (names, defaults, types: the API page, gradio_client,
the MCP tool) from its function's signature. `form_endpoint` gives the handler the signature
"the form's fields named `names`, in order, then `extra`", and calls it with one `FormValues`,
so a new field is declared once, in `FormValues`.

    @form_endpoint(ESTIMATE_FIELDS, extra=(REQUEST,))
    async def estimate_api(values: FormValues, request: gr.Request) -> dict: ...
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

import gradio as gr

from wanvideo.service import FormValues
from wanvideo.service.values import PER_CARD_FIELDS, default_of

_KIND = inspect.Parameter.POSITIONAL_OR_KEYWORD
_TYPES = typing.get_type_hints(FormValues)

REQUEST = inspect.Parameter("request", _KIND, default=None, annotation=gr.Request)
OWNER_ID = inspect.Parameter("owner_id", _KIND, default=None, annotation=Any)


def _card_names(name: str, cards: int) -> list[str]:
    return [f"{name}_{i}" for i in range(1, cards + 1)]


def form_parameters(names: tuple[str, ...], cards: int = 0) -> list[inspect.Parameter]:
    """One parameter per field; with `cards`, a per-card field (`PER_CARD_FIELDS`) is one
    parameter per card (the page's controls on each reference card)."""
    parameters = []
    for n in names:
        if cards and n in PER_CARD_FIELDS:
            parameters += [
                inspect.Parameter(c, _KIND, default=None, annotation=Any) for c in _card_names(n, cards)
            ]
        else:
            parameters.append(inspect.Parameter(n, _KIND, default=default_of(n), annotation=_TYPES[n]))
    return parameters


def form_endpoint(
    names: tuple[str, ...], *, extra: tuple[inspect.Parameter, ...] = (), cards: int = 0
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`handler(values, **extra)` as a function of the form fields `names` and then `extra`
    (an async generator stays one: Gradio streams it). `cards`: the page's variant, whose
    per-card fields come one per card (`Form.inputs_for(names, cards=True)`)."""
    parameters = [*form_parameters(names, cards), *extra]
    signature = inspect.Signature(parameters)
    extra_names = tuple(p.name for p in extra)

    def split(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[FormValues, dict[str, Any]]:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        given = bound.arguments
        values = {
            n: tuple(given[c] for c in _card_names(n, cards)) if cards and n in PER_CARD_FIELDS else given[n]
            for n in names
        }
        return FormValues(**values), {n: given[n] for n in extra_names}

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.isasyncgenfunction(handler):

            @functools.wraps(handler)
            async def streamed(*args: Any, **kwargs: Any) -> Any:
                values, extras = split(args, kwargs)
                async for update in handler(values, **extras):
                    yield update

            endpoint: Callable[..., Any] = streamed
        else:

            @functools.wraps(handler)
            async def answered(*args: Any, **kwargs: Any) -> Any:
                values, extras = split(args, kwargs)
                return await handler(values, **extras)

            endpoint = answered
        del endpoint.__wrapped__  # Gradio and `inspect` read the signature below, not the handler's
        endpoint.__signature__ = signature  # type: ignore[attr-defined]
        endpoint.__annotations__ = {p.name: p.annotation for p in parameters}
        return endpoint

    return decorate
