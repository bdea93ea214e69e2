"""Loading the Jinja2 templates in ``prompts/`` (installed as the package ``assistant.prompts``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2


@lru_cache(maxsize=1)
def template_environment() -> jinja2.Environment:
    folder = resources.files("assistant.prompts")
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (folder / name).read_text(encoding="utf-8")),
        autoescape=False,  # plain-text answers; the web layer escapes on display
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
    )


def render(name: str, **context: object) -> str:
    return template_environment().get_template(name).render(**context).strip()
