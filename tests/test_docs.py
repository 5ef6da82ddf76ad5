"""The documentation: the README front page and the MkDocs pages under docs/.

CI runs only ``pytest``, so ``mkdocs build --strict`` runs here: a broken link between
pages, a missing anchor or a page left out of the navigation fails the build.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
#: The set-up commands, verbatim: CI (.ci/run) runs the second one as it is written here.
SETUP_LINES = (
    "pip install torch==2.13.0 && pip install -e . && python reduce.py",
    "pip install torch==2.13.0 && pip install -e '.[test]' && pytest",
)
MAX_README_LINES = 120

#: Markdown links and images: [text](target) and ![alt](target), outside code.
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _without_code(text: str) -> str:
    """The text with fenced code blocks and inline code spans removed."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def _slug(heading: str) -> str:
    """GitHub's (and MkDocs' toc) anchor of a heading: lower case, punctuation dropped, spaces to '-'."""
    heading = re.sub(r"`", "", heading.strip().lower())
    heading = re.sub(r"[^\w\- ]", "", heading)
    return heading.replace(" ", "-")


def _anchors(markdown: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", markdown.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, flags=re.M)}


def _local_links(markdown: Path) -> list[str]:
    return [t for t in LINK.findall(_without_code(markdown.read_text(encoding="utf-8")))
            if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]  # http:, https:, mailto: are not checked


def test_readme_is_a_front_page():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move text to docs/"


@pytest.mark.parametrize("line", SETUP_LINES)
def test_readme_keeps_the_setup_commands_verbatim(line):
    assert line in README.read_text(encoding="utf-8").splitlines()


def test_readme_shows_committed_figures():
    images = [t for t in re.findall(r"!\[[^\]]*\]\(([^)\s]+)", README.read_text(encoding="utf-8"))]
    assert len(images) >= 2  # selection vs Quantiled vs random across budgets, and the anytime curve
    for image in images:
        assert (ROOT / image).is_file(), image


def test_every_readme_link_exists():
    links = _local_links(README)
    assert any(link.startswith("docs/") for link in links)
    for link in links:
        path, _, anchor = link.partition("#")
        target = ROOT / path if path else README
        assert target.exists(), f"README.md links to {link!r}, which does not exist"
        if anchor and target.suffix == ".md":
            assert anchor in _anchors(target), f"README.md links to {link!r}: no heading with that anchor"


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(ROOT / link.partition("#")[0]).resolve() for link in _local_links(README)}
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p.resolve() not in linked]
    assert not missing, f"docs pages the README does not link: {missing}"


def test_docs_link_to_nothing_outside_docs():
    """MkDocs --strict cannot resolve links out of docs/: paths there are code spans."""
    for page in sorted(DOCS.rglob("*.md")):
        for link in _local_links(page):
            path = link.partition("#")[0]
            if path:
                target = (page.parent / path).resolve()
                assert DOCS.resolve() in target.parents, f"{page.name} links outside docs/: {link!r}"


def test_mkdocs_build_strict(tmp_path):
    # not skipped when missing: CI installs the [test] extra, and a skip would hide a broken build
    assert importlib.util.find_spec("mkdocs") is not None, "mkdocs is in the [test] extra: pip install -e '.[test]'"
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
               "--site-dir", str(tmp_path / "site")]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    built = {p.relative_to(tmp_path / "site").parts[0] for p in (tmp_path / "site").glob("*/index.html")}
    pages = {p.stem for p in DOCS.glob("*.md")} - {"index"}
    assert pages <= built, f"pages not built: {sorted(pages - built)}"
    assert (tmp_path / "site" / "index.html").is_file()
    shutil.rmtree(tmp_path / "site", ignore_errors=True)
