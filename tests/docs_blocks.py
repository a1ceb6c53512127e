"""Fenced code blocks of the README and docs/*.md, for the documentation test.

Rules (also in the README, "Documentation"):
- ```sh and ```bash blocks are run as written, in document order, one shell per document
  (so a variable set in one block is seen by the next, as in a reader's terminal), with
  `set -eo pipefail`, against a fresh SQLite database that `scripts/dev.sh` has migrated
  and loaded with demo data, and with the API and worker that it started.
- `127.0.0.1:8000` and `localhost:8000` are replaced by the port of that server.
- A block that runs `scripts/dev.sh` or `scripts/test.sh` is not run: the first is what the
  test starts before the other blocks, the second runs this very suite.
- ```graphql blocks are parsed and validated against the schema.
- Other fences (```text, ```console, ```json, ...) are neither run nor parsed.
"""

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGUAGES = {"sh", "bash"}
NOT_RUN = re.compile(r"(^|[\s/])scripts/(dev|test)\.sh\b", re.MULTILINE)
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    language: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Every fenced code block of a Markdown file, with its language (first word of the
    info string, lower case; empty when there is none)."""
    found = []
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence = opening["fence"]
        info = opening["info"].strip().split()
        language = info[0].lower() if info else ""
        body = []
        index += 1
        while index < len(lines):
            closing = _FENCE.match(lines[index])
            if (
                closing
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
                and not closing["info"].strip()
            ):
                break
            body.append(lines[index])
            index += 1
        start = index - len(body)
        found.append(Block(path, start, language, "\n".join(body) + "\n"))
        index += 1
    return found


def all_blocks(languages: set[str]) -> list[Block]:
    return [b for path in DOCUMENTS for b in blocks(path) if b.language in languages]


def runnable(block: Block) -> bool:
    return not NOT_RUN.search(block.text)


def with_port(text: str, port: int) -> str:
    return re.sub(r"\b(127\.0\.0\.1|localhost):8000\b", rf"\g<1>:{port}", text)


def script_for(document_blocks: list[Block], port: int) -> str:
    """One bash script running the blocks of a document in order; before each block it
    prints a marker, so a failure names its block."""
    parts = ["set -eo pipefail"]
    for block in document_blocks:
        parts.append(f"echo '>>> block {block.where}' >&2")
        parts.append(with_port(block.text, port))
    parts.append("echo '>>> all blocks ran' >&2")
    return "\n".join(parts) + "\n"
