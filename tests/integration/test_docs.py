"""The README and docs/ as a seller follows them: every relative link leads somewhere, and every
`remnastore ...` command they show either runs here (offline) or is on a short list of commands that need
real services, with the reason; even those must name a subcommand and options that exist."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from remnastore import cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXECUTABLE = Path(sys.executable).with_name("remnastore")

#: Subcommands shown in the docs that cannot run in a test as shown, and why. Their options are still
#: checked against the command's own --help.
NEEDS_SERVICES = {
    "run": "connects to Telegram and the panel, then serves until stopped",
    "check": "reaches the configured database, Redis, Telegram, the panel and the payment providers",
    "migrate": "changes the database at DATABASE_URL (tests/integration/test_db_migrations.py)",
    "backup": "dumps the configured database and Redis (tests/integration/test_backup_restore.py)",
    "restore": "overwrites the configured database from an archive (tests/integration/test_backup_restore)",
    "import": "reads another bot's PostgreSQL database (tests/integration/test_import_machka.py)",
    "sandbox": "serves until stopped (tests/browser/test_sandbox.py, tests/e2e/test_sandbox_api.py)",
}
#: Other programs shown next to remnastore: not run here.
NOT_REMNASTORE_MODULES = {
    "remnastore.ops.settings_docs": "rewrites .env.example and the README (tests/unit/test_config.py)",
}

FENCE = re.compile(r"^\s*(```|~~~)")
SHELL_BLOCKS = {"", "bash", "sh", "shell", "console"}
LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def split_fences(text: str) -> tuple[list[str], list[list[str]]]:
    """The prose lines (fenced blocks blanked) and the lines of the fenced blocks that hold commands
    (those marked bash, sh, shell or console, or not marked; not ``text`` diagrams, YAML...)."""
    prose: list[str] = []
    blocks: list[list[str]] = []
    current: list[str] | None = None
    commands = True
    for line in text.splitlines():
        if FENCE.match(line):
            if current is None:
                current = []
                commands = line.strip().lstrip("`~").strip() in SHELL_BLOCKS
            else:
                if commands:
                    blocks.append(current)
                current = None
            prose.append("")
        elif current is not None:
            current.append(line)
            prose.append("")
        else:
            prose.append(line)
    return prose, blocks


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    prose, _ = split_fences(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in prose:
        match = HEADING.match(line)
        if match is None:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(path: Path) -> Iterator[str]:
    prose, _ = split_fences(path.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", "\n".join(prose))  # code spans are not links
    for match in LINK.finditer(text):
        target = match.group(1)
        if not SCHEME.match(target):
            yield target


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(doc: Path) -> None:
    broken: list[str] = []
    for target in relative_links(doc):
        file_part, _, anchor = target.partition("#")
        destination = (doc.parent / file_part).resolve() if file_part else doc
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and (destination.suffix != ".md" or anchor not in anchors(destination)):
            broken.append(f"{target}: no heading #{anchor} in {destination.name}")
    assert not broken, f"{doc.name}: {broken}"


def test_the_link_checker_sees_links_and_anchors() -> None:
    """The checker itself: what it parses from a page like ours (so that an empty scan cannot pass)."""
    readme_links = list(relative_links(ROOT / "README.md"))
    assert "docs/sandbox.md" in readme_links
    assert "#try-it-in-a-browser" in readme_links
    assert "try-it-in-a-browser" in anchors(ROOT / "README.md")
    assert slug("Webhook mode behind `nginx` (TLS)") == "webhook-mode-behind-nginx-tls"
    assert "from-a-remote-server" in anchors(ROOT / "docs" / "sandbox.md")


@dataclass(frozen=True)
class Shown:
    doc: str
    line: str
    args: tuple[str, ...]

    @property
    def subcommand(self) -> str | None:
        args = list(self.args)
        while args and args[0].startswith("-"):
            option = args.pop(0)
            if option == "--env-file" and args:
                args.pop(0)
        return args[0] if args else None


def _logical_lines(block: list[str]) -> Iterator[str]:
    pending = ""
    for raw in block:
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def _program_args(words: list[str]) -> tuple[str, ...] | None:
    """The arguments after a remnastore program in one simple command, or None for another program."""
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
        words = words[1:]  # VAR=value before the command
    if words[:2] == ["sudo", "-u"]:
        words = words[3:]
    if not words:
        return None
    if words[0] == "remnastore" or words[0].endswith("/remnastore"):
        return tuple(words[1:])
    if re.fullmatch(r"(\S*/)?python3?(\.\d+)?", words[0]) and words[1:3] == ["-m", "remnastore"]:
        return tuple(words[3:])
    return None


def _commands_in(doc: str, line: str) -> Iterator[Shown]:
    code = re.sub(r"(^|\s)#.*$", "", line).strip().removeprefix("$ ")
    for part in re.split(r"&&|;", code):  # each command of a list; a pipe's first one
        try:
            words = shlex.split(part.split(" | ")[0])
        except ValueError:
            continue
        words = [word.strip("[]") for word in words if word.strip("[]")]  # synopses: [--port N]
        args = _program_args(words)
        if args is not None:
            yield Shown(doc, line.strip(), args)


def shown_commands() -> list[Shown]:
    """Every remnastore command in the README and docs/: in their code blocks, and in code spans."""
    shown: list[Shown] = []
    for doc in DOCS:
        prose, blocks = split_fences(doc.read_text(encoding="utf-8"))
        for block in blocks:
            for line in _logical_lines(block):
                shown += _commands_in(doc.name, line)
        for span in re.findall(r"`([^`\n]+)`", "\n".join(prose)):
            if re.match(r"(\S*/)?remnastore\s+\S|(\S*/)?python3? -m remnastore\s+\S", span):
                shown += _commands_in(doc.name, span)
    return shown


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("BOT_", "PANEL_"))}
    return subprocess.run(  # noqa: S603 - our own console script
        [str(EXECUTABLE), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=60, check=False
    )


@pytest.fixture(scope="module")
def subcommands(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each subcommand of `remnastore --help` with its own --help text."""
    cwd = tmp_path_factory.mktemp("cli")
    top = run("--help", cwd=cwd)
    assert top.returncode == 0, top.stderr
    listed = re.search(r"\{([a-z,-]+)\}", top.stdout)
    assert listed is not None, top.stdout
    helps: dict[str, str] = {}
    for name in listed.group(1).split(","):
        result = run(name, "--help", cwd=cwd)
        assert result.returncode == 0, (name, result.stderr)
        helps[name] = result.stdout
        nested = re.search(r"\{([a-z,-]+)\}", result.stdout)  # e.g. `import machka`
        for inner in nested.group(1).split(",") if nested else []:
            inner_help = run(name, inner, "--help", cwd=cwd)
            assert inner_help.returncode == 0, (name, inner, inner_help.stderr)
            helps[name] += inner_help.stdout
    return helps


def test_the_docs_show_remnastore_commands() -> None:
    shown = shown_commands()
    assert {c.subcommand for c in shown} >= {"run", "check", "sandbox", "backup", "restore", "version"}


def test_every_offline_command_shown_runs(tmp_path: Path, subcommands: dict[str, str]) -> None:
    ran: list[str] = []
    for command in shown_commands():
        sub = command.subcommand
        if sub in NEEDS_SERVICES:
            continue
        result = run(*command.args, cwd=tmp_path)
        assert result.returncode == 0, f"{command.doc}: `{command.line}` failed: {result.stderr}"
        ran.append(command.line)
    assert ran, "no offline command was found in the docs"


def test_commands_needing_services_name_real_subcommands_and_options(subcommands: dict[str, str]) -> None:
    for command in shown_commands():
        sub = command.subcommand
        assert sub in subcommands, f"{command.doc}: `{command.line}`: no subcommand {sub!r}"
        options = {word.split("=")[0] for word in command.args if word.startswith("--")}
        unknown = {o for o in options if o not in subcommands[sub] and o != "--env-file"}
        assert not unknown, f"{command.doc}: `{command.line}`: {sorted(unknown)} not in `{sub} --help`"
    assert set(NEEDS_SERVICES) <= set(subcommands)  # the allow-list names no command that is gone


def test_the_cli_docstring_and_the_readme_name_every_subcommand(subcommands: dict[str, str]) -> None:
    doc = cli.__doc__ or ""
    assert set(subcommands) <= set(re.findall(r"[a-z]+", doc)), doc
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Commands") :]
    table = table[: table.index("\n## ")]
    for name in subcommands:
        assert f"`remnastore {name}" in table, f"the README's Commands table lacks {name}"
    for name in NOT_REMNASTORE_MODULES:
        assert name.startswith("remnastore.")
