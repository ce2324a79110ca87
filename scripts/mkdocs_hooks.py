"""MkDocs hooks: links from docs/ to files outside it, as GitHub shows them and the site can't.

A page such as docs/adapters.md links to source files (``../mailseg/adapter/contract.py``)
so that a reader on GitHub can click through. The site holds only docs/, so there such a
link is shown as the path it names, and only a link to a file that does not exist in the
repository is left for MkDocs to report (an error under ``--strict``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s#]+)(?P<anchor>#[^)]*)?\)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace each link that leaves docs/ for a repository file by that file's path."""
    docs = Path(config["docs_dir"]).resolve()
    here = (docs / page.file.src_path).parent

    def replace(match: re.Match[str]) -> str:
        target = match["target"]
        if "://" in target or target.startswith(("mailto:", "/")):
            return match[0]
        path = (here / target).resolve()
        if path.is_relative_to(docs) or not path.is_relative_to(_ROOT) or not path.exists():
            return match[0]
        shown = path.relative_to(_ROOT).as_posix()
        text = match["text"]
        return text if text.strip("`") == shown else f"{text} (`{shown}`)"

    return _LINK.sub(replace, markdown)
