"""docs/live.md's worked example is real code: every excerpt it marks is in the file it names."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXCERPT = re.compile(r"<!-- excerpt: (?P<path>\S+) -->\n```\w*\n(?P<code>.*?)```", re.S)


def _excerpts() -> list[tuple[str, str]]:
    return [(found["path"], found["code"]) for found in EXCERPT.finditer((ROOT / "docs/live.md").read_text())]


def test_every_excerpt_of_the_live_pages_guide_is_in_the_file_it_names():
    excerpts = _excerpts()
    assert len(excerpts) >= 6
    for path, code in excerpts:
        assert code.strip() in (ROOT / path).read_text(), f"docs/live.md quotes {path}, which no longer says:\n{code}"


def test_the_check_notices_an_excerpt_that_drifted(tmp_path):
    page = '<!-- excerpt: orders/live.py -->\n```python\nORDER_PAGE = live.CardKind("order", "ordr-")\n```\n'
    ((path, code),) = [(found["path"], found["code"]) for found in EXCERPT.finditer(page)]
    assert code.strip() not in (ROOT / path).read_text()
