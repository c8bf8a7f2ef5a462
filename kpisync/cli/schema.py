"""``kpisync schema``: the JSON Schema of kpis.yaml (or its reference page), from the config
model and the installed plugins."""

from __future__ import annotations

from pathlib import Path

import click

from kpisync.cli.options import reports_errors


@click.command()
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Write to this file instead of stdout.")
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="json",
              show_default=True,
              help="json: a JSON Schema (draft 2020-12) for editors and CI; markdown: the "
                   "configuration reference of kpisync's own keys "
                   "(docs/config-reference.md).")
@reports_errors
def schema(output: Path | None, fmt: str) -> None:
    """Write the JSON Schema of kpis.yaml, with each installed plugin's options.

    Point your editor at it for completion and inline errors: put
    `# yaml-language-server: $schema=kpis.schema.json` at the top of kpis.yaml.
    """
    from kpisync.config.reference import reference_page
    from kpisync.config.schema import schema_text
    from kpisync.registry import registry

    text = schema_text(registry()) if fmt == "json" else reference_page()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)

