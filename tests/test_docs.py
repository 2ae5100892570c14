"""The README's command-line section and the parser agree (as sqlite-utils' docs tests do).

The README is parsed generically: every ``reportqa …`` line of the section's code blocks, and
every ``--option`` the section mentions, so new commands and options need no change here.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from reportqa.cli import build_parser, main

README = Path(__file__).resolve().parents[1] / "README.md"


def cli_section() -> str:
    """README's "Command line" section, up to the next second-level heading."""
    text = README.read_text(encoding="utf-8")
    found = re.search(r"^## Command line\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert found, "README.md has no '## Command line' section"
    return found[1]


PLAIN = re.compile(r"[^\s'\"\\]+")  # a word that needs no quotes


def documented_lines() -> list[str]:
    """The `reportqa …` lines of the section's code blocks, comments dropped."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", cli_section(), flags=re.M | re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [
        " ".join(w if PLAIN.fullmatch(w) else shlex.quote(w) for w in shlex.split(line, True))
        for line in lines
        if line.startswith("reportqa ")
    ]


OPTIONAL = re.compile(r"(\[[^\[\]]*\])")


def variants(line: str) -> list[list[str]]:
    """A README usage line as argv lists: every [optional] part left out, then put in.

    Placeholders stay as they are (DOC_ID, PNG, M are strings to the parser); FILE... is one
    file; in [a|b] each alternative is tried.
    """
    parts = OPTIONAL.split(line.removeprefix("reportqa "))
    choices = {i: p[1:-1].split("|") for i, p in enumerate(parts) if OPTIONAL.fullmatch(p)}

    def render(picked: dict[int, str]) -> list[str]:
        text = "".join(picked.get(i, "") if i in choices else p for i, p in enumerate(parts))
        return [w.removesuffix("...") for w in shlex.split(text)]

    first = {i: alternatives[0] for i, alternatives in choices.items()}
    out = [render({}), render(first)]
    for i, alternatives in choices.items():
        out += [render(first | {i: alternative}) for alternative in alternatives[1:]]
    return out


def command_of(argv: list[str]) -> str | None:
    """The command in a README argv: the first word after the global options (None: only
    global options, as in `reportqa --version`)."""
    options = build_parser()._option_string_actions
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        takes_value = argv[i] in options and options[argv[i]].nargs != 0
        i += 2 if takes_value else 1
    return argv[i] if i < len(argv) else None


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def parse(argv: list[str]) -> argparse.Namespace:
    try:
        return build_parser().parse_args(argv)
    except SystemExit as exc:
        raise AssertionError(f"README: `reportqa {shlex.join(argv)}` is refused") from exc


def test_the_readme_shows_commands() -> None:
    lines = documented_lines()
    assert len(lines) >= 5, lines  # the section was found and read
    assert all(line.startswith("reportqa ") for line in lines)


@pytest.mark.parametrize("line", documented_lines())
def test_every_documented_command_line_is_accepted(line: str, capsys) -> None:
    for argv in variants(line):
        if command_of(argv) is None:  # `reportqa --version`: prints and exits 0
            with pytest.raises(SystemExit) as exit:
                main(argv)
            assert exit.value.code == 0 and capsys.readouterr().out, line
            continue
        args = parse(argv)
        assert args.command == command_of(argv) and callable(args.func)


def test_every_documented_command_line_is_accepted_with_the_library_before_or_after() -> None:
    for line in documented_lines():
        argv = variants(line)[-1]
        if command_of(argv) is None:
            continue
        assert parse(["--library", "DIR", *argv]).library == "DIR"
        assert parse([*argv, "--library", "DIR"]).library == "DIR"


def test_the_readme_command_list_matches_reportqa_help(capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--help"])
    assert exit.value.code == 0
    [listed] = re.findall(r"^  \{([\w,-]+)\}", capsys.readouterr().out, flags=re.M)
    in_help = set(listed.split(","))
    documented = {command_of(variants(line)[-1]) for line in documented_lines()} - {None}
    assert in_help == set(subcommands(build_parser()))
    assert documented == in_help, (
        f"in `reportqa --help` but not in README: {sorted(in_help - documented)}; "
        f"in README but not a command: {sorted(documented - in_help)}"
    )


def test_every_option_the_section_mentions_exists() -> None:
    """Options in the prose too (`--doc-id`, `--model NAME_OR_FOLDER`): some command takes it."""
    parser = build_parser()
    known = set(parser._option_string_actions)
    for sub in subcommands(parser).values():
        known |= set(sub._option_string_actions)
    mentioned = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", cli_section()))
    assert mentioned, "no options found in README's command-line section"
    assert mentioned <= known, f"README mentions unknown options: {sorted(mentioned - known)}"


def test_the_command_of_a_usage_line() -> None:
    assert command_of(["ask", "Q", "--library", "DIR"]) == "ask"
    assert command_of(["--library", "DIR", "ask", "Q"]) == "ask"
    assert command_of(["--version"]) is None


def test_the_variants_of_a_usage_line() -> None:
    """The README reader itself: optional parts, alternatives and FILE... as argv lists."""
    assert variants("reportqa index [--rebuild --model M]") == [
        ["index"],
        ["index", "--rebuild", "--model", "M"],
    ]
    assert variants('reportqa ask "a b" [--json|--top-k 3] [FILE...]') == [
        ["ask", "a b"],
        ["ask", "a b", "--json", "FILE"],
        ["ask", "a b", "--top-k", "3", "FILE"],
    ]
