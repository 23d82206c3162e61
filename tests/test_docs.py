"""Docs describe the software; measured results live in docs/results/ with their command and date.

User docs (README.md and docs/*.md outside docs/results/) carry no dated result and no narration of how
the work went; the package's docstrings and comments carry no date either.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RESULTS = DOCS / "results"

#: an ISO date (2026-12-05): a result measured on that day belongs in docs/results/
ISO_DATE = re.compile(r"\b20\d\d-[01]\d-[0-3]\d\b")

#: phrases that narrate the work instead of describing the software (matched case-insensitively)
NARRATION = [
    r"left for the next",
    r"the issue'?s rule",
    r"\bissue #?\d+",
    r"\b(this|another|other|a later|the next) sessions?\b",
    r"\bprevious default\b",
    r"\bthe first version\b",
    r"\bnot yet fixed\b",
    r"\bwe tried\b",
    r"\bwas rejected\b",
    r"\bfuture work\b",
]
NARRATION_RE = re.compile("|".join(NARRATION), re.IGNORECASE)

#: pages still to be cleaned by the work that owns them: expected to fail (strict), so an entry whose page
#: passes fails this test until it is removed from the list
ALLOWED_DOCS: set[str] = set()


def _user_docs() -> list[Path]:
    pages = [p for p in DOCS.rglob("*.md") if RESULTS not in p.parents]
    return sorted([ROOT / "README.md", *pages])


def _sources() -> list[Path]:
    return sorted((ROOT / "eda").rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def docs_findings(text: str) -> list[str]:
    """Dates and narration phrases in a user-doc page, as ``line N: match`` strings."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in (*ISO_DATE.finditer(line), *NARRATION_RE.finditer(line)):
            found.append(f"line {number}: {match.group(0)!r}")
    return found


def source_dates(source: str) -> list[str]:
    """ISO dates in the docstrings and comments of a Python module, as ``line N: date`` strings."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            doc = ast.get_docstring(node, clean=False)
            if doc:
                found += [f"line {first.lineno}: {m.group(0)}" for m in ISO_DATE.finditer(doc)]
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            found += [f"line {tok.start[0]}: {m.group(0)}" for m in ISO_DATE.finditer(tok.string)]
    return found


def test_finders_catch_dates_and_narration():
    assert docs_findings("Results (2026-12-02, 2-core CPU)") == ["line 1: '2026-12-02'"]
    assert docs_findings("ok\nthe gap is left for the next features version") == [
        "line 2: 'left for the next'"
    ]
    assert docs_findings("as the issue's rule says") == ['line 1: "the issue\'s rule"']
    assert docs_findings("ChatEMG adapts to a new session of EMG; ISO 8601 dates look like YYYY-MM-DD") == []
    assert source_dates('"""Measured 2026-11-29."""\n') == ["line 1: 2026-11-29"]
    assert source_dates("def f():\n    '''Solve.'''\n    return 1  # tuned 2026-12-01\n") == [
        "line 3: 2026-12-01"
    ]
    assert source_dates("x = '2026-12-01'  # a string value, not documentation\n") == []


def _page_params() -> list:
    return [
        pytest.param(
            p,
            id=_rel(p),
            marks=[pytest.mark.xfail(strict=True, reason="on ALLOWED_DOCS")]
            if _rel(p) in ALLOWED_DOCS
            else [],
        )
        for p in _user_docs()
    ]


@pytest.mark.parametrize("page", _page_params())
def test_user_docs_carry_no_dated_results_or_narration(page: Path):
    found = docs_findings(page.read_text(encoding="utf-8"))
    assert not found, (
        f"{_rel(page)}: {found}; move measured tables with their command and date to "
        "docs/results/ and describe the software, not the history"
    )


@pytest.mark.parametrize("module", _sources(), ids=_rel)
def test_package_docstrings_carry_no_dates(module: Path):
    found = source_dates(module.read_text(encoding="utf-8"))
    assert not found, f"{_rel(module)}: dates in docstrings or comments {found}; state what the code does"


def test_results_pages_name_their_command():
    """Every results page says how its tables were produced (a command or the test that measured them)."""
    for page in sorted(RESULTS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        assert ISO_DATE.search(text), f"{_rel(page)} gives no date for its measurements"
        assert re.search(r"`[^`]*(python|pytest|eda |make )[^`]*`", text), f"{_rel(page)} names no command"


def test_allow_list_names_existing_pages():
    for rel in ALLOWED_DOCS:
        assert (ROOT / rel).is_file(), f"allow-listed {rel} does not exist: remove it from ALLOWED_DOCS"


def test_relative_links_resolve():
    """The split into user docs and results pages keeps every relative link pointing at a file."""
    broken = []
    for page in [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]:
        for match in re.finditer(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            target = match.group(1)
            if "://" not in target and not (page.parent / target).exists():
                broken.append(f"{_rel(page)} -> {target}")
    assert not broken, f"broken relative links: {broken}"
