"""Paths and globs: rootdir-relative path parameters, glob expansion with exclusions, and the
count-and-noun wording of messages about them."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from types import ModuleType
from typing import Annotated, Final

from pydantic import AfterValidator

_GLOB_CHARS: Final = frozenset("*?[")


def _relative_path(value: str) -> str:
    if ":" not in value and ".." not in value and value.strip() and value[0] not in "/\\":
        return value  # the common case, settled without pathlib: no drive, root or '..'
    if not value.strip():
        raise ValueError("expected a path relative to the rootdir, found an empty string")
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute():
        raise ValueError(f"expected a path relative to the rootdir, found absolute path '{value}'")
    if ".." in re.split(r"[/\\]", value):
        raise ValueError(f"expected a path inside the rootdir, found '..' in '{value}'")
    return value


#: A path or glob relative to the rootdir that cannot be absolute or climb out with ``..``.
RelPath = Annotated[str, AfterValidator(_relative_path)]


def is_glob(pattern: str) -> bool:
    return not _GLOB_CHARS.isdisjoint(pattern)


def _wcglob() -> ModuleType:
    """wcmatch's glob, imported when a pattern first needs it (a session without a glob, or an
    xdist worker starting, does not pay its 10 ms import)."""
    from wcmatch import glob

    return glob


def glob_flags(*, files_only: bool = True) -> int:
    """One glob rule for every pattern, whether it names files or excludes them: ``**`` as a
    whole path part spans directories (elsewhere it is ``*``); ``*``, ``?`` and ``[...]`` stay
    inside one part; as in the shell, a hidden file or folder is matched only by a part starting
    with a dot; symlinked folders are followed, as :func:`glob.glob` follows them. Matching a
    path (not globbing the disk) also matches folders."""
    glob = _wcglob()
    flags: int = glob.GLOBSTAR | glob.FOLLOW
    return flags | glob.NODIR if files_only else flags


def _posix(pattern: str) -> str:
    return pattern.replace("\\", "/")


def matches(relative: str, pattern: str) -> bool:
    """``pattern`` names the rootdir-relative posix path ``relative`` (the rule above)."""
    flags = glob_flags(files_only=False)
    return bool(_wcglob().globmatch(relative, _posix(pattern), flags=flags))


def excluder(patterns: Iterable[str]) -> Callable[[str], bool]:
    """A predicate: a glob matches the relative path or one of its parent directories."""
    globs = [_posix(p).rstrip("/") for p in patterns]
    if not globs:
        return lambda relative: False
    matcher = _wcglob().compile(globs, flags=glob_flags(files_only=False))

    def excludes(relative: str) -> bool:
        parts = relative.split("/")
        return any(matcher.match("/".join(parts[: n + 1])) for n in range(len(parts)))

    return excludes


@dataclass(frozen=True)
class Outside:
    """A match that resolves outside the rootdir (through ``link``, a symlink): never read."""

    name: str
    link: str
    target: Path

    def message(self) -> str:
        how = "a symlink" if self.link == self.name else f"through the symlink '{self.link}'"
        return f"{self.name} -> {self.target}: outside the project ({how} out of the rootdir)"


def _mode_without_symlinks(rootdir: Path, parts: Sequence[str]) -> int | None:
    """The ``lstat`` mode of ``parts`` under ``rootdir`` (0 when a part does not exist); None
    when a part is a symlink, is '..', or cannot be looked at."""
    if ".." in parts:
        return None
    path = os.fspath(rootdir).rstrip(os.sep)  # '/' as the rootdir: '' + '/part'
    mode = 0
    for part in parts:
        path = f"{path}{os.sep}{part}"  # parts have no separator: os.path.join's checks, skipped
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return 0
        except OSError:
            return None
        if stat.S_ISLNK(mode):
            return None
    return mode


def outside_root(rootdir: Path, name: str) -> Outside | None:
    """``name`` (rootdir-relative, posix) as an :class:`Outside` if it resolves out of
    ``rootdir``; ``None`` if it stays inside."""
    parts = name.split("/")
    if _mode_without_symlinks(rootdir, parts):
        return None  # there, with no symlink or '..' on the way: inside, without resolving
    root = rootdir.resolve()
    target = (rootdir / name).resolve()
    if target.is_relative_to(root):
        return None
    link = next(
        (
            "/".join(parts[: n + 1])
            for n in range(len(parts))
            if (rootdir.joinpath(*parts[: n + 1])).is_symlink()
            and not rootdir.joinpath(*parts[: n + 1]).resolve().is_relative_to(root)
        ),
        name,
    )
    return Outside(name=name, link=link, target=target)


@dataclass(frozen=True)
class Match:
    """The files one pattern matched (and their rootdir-relative posix names, as globbed, not
    resolved), how many of its matches ``exclude`` removed, and the matches that resolve outside
    the rootdir (left out of ``files``)."""

    pattern: str
    files: list[Path]
    names: list[str]
    excluded: int
    outside: list[Outside] = field(default_factory=list)

    def missing_message(self) -> str:
        if self.excluded:
            return f"every file matching '{self.pattern}' is excluded"
        if is_glob(self.pattern):
            return f"no file matches '{self.pattern}'"
        return f"no such file: '{self.pattern}'"


def expand(rootdir: Path, pattern: str, exclude: Iterable[str] = ()) -> Match:
    """The regular files under ``rootdir`` that ``pattern`` names, sorted by relative path.

    As in the shell, hidden files and directories (``.git``, ``.venv``) are matched only by a
    part of the pattern that starts with a dot. A match that resolves outside the rootdir (a
    symlink, or a folder it goes through) is not a file of the project: it is in ``outside``.
    """
    excludes = excluder(exclude)
    pattern = _posix(pattern)
    if is_glob(pattern):
        names = _wcglob().glob(pattern, root_dir=rootdir, flags=glob_flags())
        candidates = [rootdir / name for name in names if (rootdir / name).is_file()]
        by_name = {p.relative_to(rootdir).as_posix(): p for p in candidates}
        inside = False
    else:
        # One name, as pathlib spells it ('a//b/./c' is 'a/b/c').
        parts: Sequence[str] = pattern.split("/")
        if "" in parts or "." in parts:
            parts = PurePosixPath(pattern).parts
        name = "/".join(parts)
        mode = _mode_without_symlinks(rootdir, parts)
        # No symlink on the way (the common case): the last lstat says whether it is a file,
        # and a file is inside the rootdir; otherwise resolving decides below.
        inside = mode is not None
        found = stat.S_ISREG(mode) if mode is not None else os.path.isfile(rootdir / name)
        by_name = {name: rootdir / name} if found else {}
    names = [name for name in sorted(by_name) if not excludes(name)]
    outside = (
        []
        if inside
        else [out for out in (outside_root(rootdir, n) for n in names) if out is not None]
    )
    refused = {out.name for out in outside}
    kept = [name for name in names if name not in refused] if refused else names
    return Match(
        pattern=pattern,
        files=[by_name[name] for name in kept],
        names=kept,
        excluded=len(by_name) - len(names),
        outside=outside,
    )


@dataclass(frozen=True)
class Expansion:
    """What patterns matched: the files inside the rootdir as (rootdir-relative posix name,
    path) sorted by name; each pattern's :class:`Match`; and the matches outside the rootdir,
    sorted by name, that are never to be read."""

    files: list[tuple[str, Path]]
    matches: list[Match]
    outside: list[Outside]

    @property
    def empty(self) -> list[Match]:
        """The patterns that matched nothing, inside the rootdir or out."""
        return [m for m in self.matches if not m.files and not m.outside]


def expand_confined(
    rootdir: Path, patterns: Iterable[str], exclude: Iterable[str] = ()
) -> Expansion:
    """Every file the patterns match inside the rootdir, once each; each pattern's match; and
    what resolves outside the rootdir."""
    files: dict[str, Path] = {}
    outside: dict[str, Outside] = {}
    matches = [expand(rootdir, pattern, exclude) for pattern in patterns]
    for match in matches:
        for name, path in zip(match.names, match.files, strict=True):
            # Named as globbed, not resolved: a symlink must not leak an absolute path.
            files.setdefault(name, path)
        for out in match.outside:
            outside.setdefault(out.name, out)
    return Expansion(
        files=sorted(files.items()),
        matches=matches,
        outside=[outside[name] for name in sorted(outside)],
    )


def expand_all(
    rootdir: Path, patterns: Iterable[str], exclude: Iterable[str] = ()
) -> tuple[list[tuple[str, Path]], list[Match]]:
    """Every file the patterns match inside the rootdir, once each as (rootdir-relative posix
    name, path), sorted by name; and the patterns that matched no such file."""
    expansion = expand_confined(rootdir, patterns, exclude)
    return expansion.files, [match for match in expansion.matches if not match.files]


def plural(count: int, noun: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
