"""Read and validate a sources file; every problem is reported with file, line, source and field."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from brwatch.errors import BrwatchError
from brwatch.rules_location import bundled_sources_path
from brwatch.settings import CoreSettings
from brwatch.sources.model import Source

ENV_VAR = "BRWATCH_SOURCES"


class SourcesError(BrwatchError):
    """A sources file that cannot be used. `problems` holds one line per problem, each naming
    the file (and line), the source (name and 1-based position) and the field."""

    def __init__(self, path: str | Path, problems: Sequence[str]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def default_sources_path() -> Path:
    """The bundled `crawler/sources.yaml` (or the copy an installed wheel carries)."""
    return bundled_sources_path()


def resolve_sources_path(option: str | Path | None = None) -> Path:
    """The sources file to use: --sources, else $BRWATCH_SOURCES, else the bundled one."""
    chosen = option or CoreSettings.load().sources
    return Path(chosen) if chosen else default_sources_path()


def load_sources(path: str | Path | None = None) -> list[Source]:
    """Load and validate a sources file (see `resolve_sources_path` for what None means).

    Raises SourcesError carrying every problem found, not just the first.
    """
    path = resolve_sources_path(path)
    label = _label(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(path, [f"{label}: cannot read the sources file: {exc}"]) from exc
    root = _compose(text, label, path)
    entries = _source_entries(root, label, path)
    sources: list[Source] = []
    problems: list[str] = []
    first_seen: dict[str, int] = {}
    for position, node in enumerate(entries, start=1):
        raw = _construct(node)
        where = _where(label, node, raw, position)
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a mapping of keys (name, start_urls, …)")
            continue
        repeated = _repeated_keys(node, label, raw, position)
        if repeated:  # YAML would silently keep the last one
            problems.extend(repeated)
            continue
        try:
            source = Source.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_describe(exc, node, label, raw, position))
            continue
        if source.name in first_seen:
            problems.append(
                f"{where}: name: duplicate name {source.name!r} "
                f"(first used by #{first_seen[source.name]})"
            )
            continue
        first_seen[source.name] = position
        sources.append(source)
    if problems:
        raise SourcesError(path, problems)
    return sources


def _label(path: Path) -> str:
    """The file as the user would name it: relative to the working directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _compose(text: str, label: str, path: Path) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{label}:{mark.line + 1}:{mark.column + 1}" if mark else label
        reason = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        detail = f"{context}, {reason}" if context else reason
        raise SourcesError(path, [f"{at}: malformed YAML: {detail}"]) from exc


def _source_entries(root: yaml.Node | None, label: str, path: Path) -> list[yaml.Node]:
    """The nodes of the top-level `sources:` list, refusing any other shape."""
    if not isinstance(root, yaml.MappingNode):
        raise SourcesError(path, [f"{label}: expected a mapping with a 'sources:' list at the top"])
    problems = []
    entries: list[yaml.Node] | None = None
    for key_node, value_node in root.value:
        key = _construct(key_node)
        line = key_node.start_mark.line + 1
        if key != "sources":
            problems.append(
                f"{label}:{line}: unknown top-level key {key!r} (only 'sources' is allowed)"
            )
        elif not isinstance(value_node, yaml.SequenceNode):
            problems.append(f"{label}:{line}: 'sources' must be a list of sources")
        else:
            entries = list(value_node.value)
    if entries is None and not problems:
        problems.append(f"{label}: no 'sources:' list")
    elif entries == []:
        problems.append(f"{label}: the 'sources' list is empty")
    if problems:
        raise SourcesError(path, problems)
    return entries or []


def _construct(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _where(
    label: str, node: yaml.Node, raw: Any, position: int, field_node: yaml.Node | None = None
) -> str:
    line = (field_node or node).start_mark.line + 1
    name = raw.get("name") if isinstance(raw, dict) else None
    who = (
        f"source {name!r} (#{position})"
        if isinstance(name, str) and name
        else f"source #{position}"
    )
    return f"{label}:{line}: {who}"


def _describe(
    exc: ValidationError, node: yaml.Node, label: str, raw: dict[str, Any], position: int
) -> list[str]:
    """One line per pydantic error, with the YAML line of the offending key when known."""
    lines = []
    for error in exc.errors():
        location = list(error["loc"])
        field = _field_path(location)
        field_node = _node_at(node, location) if location else None
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "required"
        elif error["type"] == "extra_forbidden":
            message = f"unknown key (allowed: {', '.join(Source.model_fields)})"
        where = _where(label, node, raw, position, field_node)
        lines.append(f"{where}: {field}: {message}" if field else f"{where}: {message}")
    return lines


def _field_path(location: Sequence[int | str]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _node_at(node: yaml.Node, location: Sequence[int | str]) -> yaml.Node | None:
    """The YAML node an error location points at: the key for a field, the item for a list
    position (so "allow[1]" names the line of that pattern)."""
    key, *rest = location
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if getattr(key_node, "value", None) == key:
            found = key_node
            for part in rest:
                if not (isinstance(part, int) and isinstance(value_node, yaml.SequenceNode)):
                    break
                if part >= len(value_node.value):
                    break
                found = value_node = value_node.value[part]
            return found
    return None


def _repeated_keys(node: yaml.Node, label: str, raw: dict[str, Any], position: int) -> list[str]:
    seen: dict[object, int] = {}
    problems = []
    for key_node, _value in node.value:
        key, line = getattr(key_node, "value", None), key_node.start_mark.line + 1
        if key in seen:
            where = _where(label, node, raw, position, key_node)
            problems.append(f"{where}: {key}: repeated key (first on line {seen[key]})")
        else:
            seen[key] = line
    return problems
