"""kpis.yaml's ``plugins:``, ``outputs:`` and ``store_sources:`` sections, and a plugin
measure's options.

Each plugin piece declares its options as ``kpisync.registry.Option``s; they are read here with
the same readers, the same ``file:line:column: path: message`` problems and the same "did you
mean" as the core's own keys, so an admin cannot tell a plugin's key from kpisync's. The same
declarations give the JSON Schemas of ``plugin_schemas``.
"""

from __future__ import annotations

from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode

from kpisync.config import fields, readers
from kpisync.config import yamlnodes as yn
from kpisync.config.model import Measure, OutputSetting
from kpisync.config.problems import Problems, suggestion
from kpisync.config.readers import Key
from kpisync.registry import OPTION_TYPES, Option, Options, Registry, SqlMeasure
from kpisync.sobjects import SObject

#: the key of ``outputs: NAME:`` that turns a default output off
ENABLED = "enabled"


def read_options(node: Node, path: str, problems: Problems, spec: Options, *,
                 reserved: tuple[Key, ...] = ()) -> dict[str, Any] | None:
    """The options ``node`` sets, checked against ``spec``, with defaults filled in; None if
    any is wrong. ``reserved`` keys (``field``, ``enabled``) are accepted and left out."""
    keys = tuple(Key(o.name, o.required, o.help) for o in spec) + reserved
    if not keys:
        empty = (isinstance(node, MappingNode) and not node.value) or \
            (isinstance(node, ScalarNode) and node.tag == yn.NULL)
        if not empty:
            problems.add(node, path, f"takes no options; got {yn.describe(node)}")
            return None
        return {}
    if isinstance(node, ScalarNode) and node.tag == yn.NULL:
        node = MappingNode(yn.MAP, [], node.start_mark, node.end_mark)
    entries = readers.mapping(node, path, problems, keys)
    if entries is None:
        return None
    before = len(problems)
    values = {o.name: o.default for o in spec}
    for option in spec:
        if option.name in entries:
            values[option.name] = _value(option, entries[option.name].value,
                                         yn.join(path, option.name), problems)
    return None if len(problems) > before else values


def _value(option: Option, node: Node, path: str, problems: Problems) -> Any:
    if option.type == "string" and option.choices:
        return readers.choice(node, path, problems, option.choices)
    if option.type == "string":
        return readers.text(node, path, problems)
    if option.type == "integer":
        return readers.integer(node, path, problems, -(2**63), 2**63 - 1)
    if option.type == "number":
        return readers.number(node, path, problems)
    if option.type == "boolean":
        return readers.boolean(node, path, problems)
    return tuple(value for value, _ in readers.strings(node, path, problems))


def parse_plugins(node: Node | None, root: Node, problems: Problems, registry: Registry
                  ) -> dict[str, dict]:
    """``plugins: {NAME: {option: value}}`` (``node``; None when kpis.yaml has no such
    section): each installed plugin's options, defaults filled in. A plugin that requires an
    option must be listed."""
    entries = readers.mapping(node, "plugins", problems, _plugin_keys(registry)) or {} \
        if node is not None else {}
    found: dict[str, dict] = {}
    for name, spec in registry.plugin_options.items():
        if name in entries:
            values = read_options(entries[name].value, yn.join("plugins", name), problems, spec)
            if values is not None:
                found[name] = values
            continue
        required = [o.name for o in spec if o.required]
        if required:
            where, path = (node, "plugins") if node is not None else (root, "")
            problems.add(where, path, f"the plugin '{name}' needs options: add plugins: "
                                      f"{{{name}: {{{required[0]}: ...}}}}")
        found[name] = {o.name: o.default for o in spec}
    return found


def _plugin_keys(registry: Registry) -> tuple[Key, ...]:
    # a plugin without options may still be listed (plugins: {name: }): it is then a no-op
    return tuple(Key(name) for name in registry.plugins if name != "core")


def parse_outputs(node: Node, problems: Problems, registry: Registry
                  ) -> tuple[OutputSetting, ...] | None:
    """``outputs: {NAME: true | false | {option: value}}``. Outputs marked default (kpisync's
    CSV and JSON) are written unless set to false; any other is written when listed."""
    keys = tuple(Key(name) for name in registry.outputs)
    entries = readers.mapping(node, "outputs", problems, keys)
    if entries is None:
        return None
    chosen: list[OutputSetting] = []
    for name, output in registry.outputs.items():
        path = yn.join("outputs", name)
        if name not in entries:
            if output.default:
                chosen.append(OutputSetting(name, {o.name: o.default for o in output.options}))
            continue
        value = entries[name].value
        if isinstance(value, ScalarNode) and value.tag == yn.BOOL:
            on = readers.boolean(value, path, problems)
            options = read_options(_empty(value), path, problems, output.options) if on \
                else {}
        else:
            options = read_options(value, path, problems, output.options,
                                   reserved=(Key(ENABLED),))
            on = _enabled(value, path, problems)
        if on and options is not None:
            chosen.append(OutputSetting(name, options))
    return tuple(chosen)


def _empty(node: Node) -> Node:
    return MappingNode(yn.MAP, [], node.start_mark, node.end_mark)


def _enabled(node: Node, path: str, problems: Problems) -> bool:
    if not isinstance(node, MappingNode):
        return True
    for pair in yn.pairs(node, path, problems):
        if pair.key == ENABLED:
            return bool(readers.boolean(pair.value, yn.join(path, ENABLED), problems))
    return True


def parse_store_sources(node: Node, problems: Problems, registry: Registry
                        ) -> tuple[str, ...]:
    """``store_sources: {NAME: true | false}``: every installed store source runs unless
    turned off here."""
    keys = tuple(Key(name) for name in registry.store_sources)
    entries = readers.mapping(node, "store_sources", problems, keys) or {}
    off = {name for name, pair in entries.items()
           if readers.boolean(pair.value, yn.join("store_sources", name), problems) is False}
    return tuple(name for name in registry.store_sources if name not in off)


def switched_off_tables(registry: Registry, running: tuple[str, ...]) -> dict[str, str]:
    """The tables of the store sources that do not run -> why a KPI cannot read them."""
    hidden = {}
    for source in registry.store_sources.values():
        for table in source.tables if source.name not in running else ():
            name = table.sobject(source.name).name
            hidden[name] = (f"{name} is written by the store source '{source.name}', which "
                            f"kpis.yaml turns off (store_sources: {{{source.name}: false}})")
    return hidden


def default_outputs(registry: Registry) -> tuple[OutputSetting, ...]:
    """The outputs of a kpis.yaml without ``outputs:``: those marked default."""
    return tuple(OutputSetting(name, {o.name: o.default for o in output.options})
                 for name, output in registry.outputs.items() if output.default)


def plugin_measure(measure: SqlMeasure, node: Node, path: str, problems: Problems,
                   sobject: SObject | None) -> Measure | None:
    """``{NAME: {field: F, option: value}}`` (or a bare ``NAME``) for a plugin measure."""
    reserved = (Key("field", True, "the field the measure reads"),) if measure.takes_field \
        else ()
    options = read_options(node, path, problems, measure.options, reserved=reserved)
    field = _measure_field(measure, node, path, problems, sobject) if measure.takes_field \
        else None
    if options is None or (measure.takes_field and field is None):
        return None
    return Measure(measure.name, field=field, options=tuple(options.items()),  # type: ignore[arg-type]
                   plugin_additive=measure.additive)


def _measure_field(measure: SqlMeasure, node: Node, path: str, problems: Problems,
                   sobject: SObject | None) -> str | None:
    if not isinstance(node, MappingNode):
        return None
    value = next((p.value for p in yn.pairs(node, path, problems) if p.key == "field"), None)
    if value is None:
        return None
    field_path = yn.join(path, "field")
    name = readers.text(value, field_path, problems, what="a field name")
    if name is None or sobject is None or not fields.check_field(
            name, value, field_path, problems, sobject, types=measure.field_types,
            use=measure.name, lookups=True):
        return None
    return name


def unknown_plugin_measure(name: str, registry: Registry, core: tuple[str, ...]) -> str:
    """The end of "unknown measure 'x'" listing the plugins' measures too."""
    return suggestion(name, (*core, *plugin_measure_names(registry, core)))


def plugin_measure_names(registry: Registry, core: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in registry.measures if name not in core)


def options_schema(spec: Options, *, extra: dict | None = None) -> dict:
    """The JSON Schema of a mapping of ``spec``'s options."""
    properties: dict[str, dict] = dict(extra or {})
    for option in spec:
        schema: dict[str, Any] = {"type": OPTION_TYPES[option.type]}
        if option.type == "strings":
            schema["items"] = {"type": "string"}
        if option.choices:
            schema["enum"] = list(option.choices)
        if option.help:
            schema["description"] = option.help
        if option.default is not None:
            schema["default"] = list(option.default) if isinstance(option.default, tuple) \
                else option.default
        properties[option.name] = schema
    required = [o.name for o in spec if o.required]
    return {"type": "object", "properties": properties, "additionalProperties": False,
            **({"required": required} if required else {})}


def plugin_schemas(registry: Registry) -> dict:
    """JSON Schemas of what plugins add to kpis.yaml: the ``plugins:``, ``outputs:`` and
    ``store_sources:`` sections and each plugin measure's options. ``kpisync schema``
    (issue 12) merges these into the schema of the whole file."""
    measures = {}
    core = tuple(n for n in registry.measures if registry.owner("measure", n) == "core")
    for name in plugin_measure_names(registry, core):
        measure = registry.measures[name]
        extra = {"field": {"type": "string", "description": "the field the measure reads"}} \
            if measure.takes_field else None
        schema = options_schema(measure.options, extra=extra)
        if measure.takes_field:
            schema["required"] = ["field", *schema.get("required", [])]
        measures[name] = schema
    outputs = {name: {"oneOf": [{"type": "boolean"}, options_schema(
        output.options, extra={ENABLED: {"type": "boolean"}})]}
        for name, output in registry.outputs.items()}
    plugins = {name: options_schema(spec) for name, spec in registry.plugin_options.items()}
    sources = {name: {"type": "boolean", "default": True, "description": source.description}
               for name, source in registry.store_sources.items()}
    return {
        "plugins": {"type": "object", "properties": plugins, "additionalProperties": False},
        "outputs": {"type": "object", "properties": outputs, "additionalProperties": False},
        "store_sources": {"type": "object", "properties": sources,
                          "additionalProperties": False},
        "measures": measures,
    }
