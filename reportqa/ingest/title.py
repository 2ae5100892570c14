"""Which text names a report: a cover field, the cover's largest lines, the PDF's /Title, ...

In order: a cover field that names the document (法規名稱：中華民國憲法); the cover's lines in
the largest font, when it is clearly larger than the body's; a meaningful PDF /Title (not
"Microsoft Word - doc1.docx"); the cover's first line that looks like a title (not a date,
a person or a sentence); the first heading; the file name.
"""

from __future__ import annotations

import re
import statistics

from reportqa.ingest.clean import display_width
from reportqa.ingest.headings import heading_level, tidy_report_title
from reportqa.ingest.model import Line

# A field whose label says it holds the document's name (法規名稱, 計畫名稱, 標題 …), unless the
# label names something else that has a name (機關名稱 is the agency).
NAME_LABEL = re.compile(r"(名稱|標題|題目|案名|主題)$")
OTHER_NAME = re.compile(r"機關|單位|公司|廠商|學校|姓名|人員|作者|帳號|檔案")
TITLE_SIZE_RATIO = 1.2  # the cover's title font is at least this much larger than the body's
SAME_SIZE = 0.6  # points: lines of one title share its font size
TITLE_MAX = 80  # characters: more is a sentence, not a title
# A title names what the document is; once it has said so, an adjacent line is a subtitle.
DOC_KIND = re.compile(
    r"(計畫|計劃|報告|報告書|綱要|手冊|辦法|要點|規定|規範|簡章|公報|法|條例|準則|細則|說明|"
    r"指引|白皮書|年報|草案|方案|須知|章程)[)）]?$"
)
DATE_LINE = re.compile(r"^(中華)?民國|^\d{2,4}\s*年|\d+\s*年\s*\d+\s*月|年\s*\S\s*月$")
# Names with a job title: 王小明 研究員, 賴明治處長 — a person, not the report.
PERSON = re.compile(
    r"(研究員|教授|處長|科長|主任|局長|部長|院長|署長|委員|博士|專員|技正|校長|組長|主席|"
    r"教師|老師|助理|秘書|經理|司長|館長|所長|執行長|董事長|總經理)$"
)
SENTENCE = re.compile(r"[，。；！？]")
MEANINGLESS_PDF_TITLE = re.compile(
    r"^(microsoft\s+\w+\s*-|untitled|無標題|新文件|文件\s*\d|document\s*\d|doc\d|"
    r"powerpoint|簡報\d*$)|\.(docx?|pdf|odt|pptx?|xlsx?|rtf|txt)$",
    re.IGNORECASE,
)


def is_name_field(label: str) -> bool:
    """True for a cover field label whose value is the document's own name."""
    return bool(NAME_LABEL.search(label)) and not OTHER_NAME.search(label)


def _title_like(text: str) -> bool:
    plain = re.sub(r"\s+", "", text)
    return (
        4 <= len(plain) <= TITLE_MAX
        and not SENTENCE.search(text)
        and not DATE_LINE.search(text)
        and not PERSON.search(plain)
        and not heading_level(text)
        and re.search(r"[\u3400-\u9fffA-Za-z]{2}", text) is not None
    )


def body_font_size(lines: list[Line]) -> float | None:
    """The font size most of the document's characters are in (None without sizes)."""
    sizes = [ln.size for ln in lines if ln.size for _ in range(len(ln.text))]
    return statistics.median(sizes) if sizes else None


def largest_lines_title(cover: list[Line], body_size: float | None) -> str:
    """The cover's title set in a font clearly larger than the body's, or ""."""
    sized = [ln for ln in cover if ln.size and _title_like(ln.text)]
    if not sized or not body_size:
        return ""
    top = max(ln.size for ln in sized)
    if top < TITLE_SIZE_RATIO * body_size:
        return ""
    parts: list[str] = []
    previous = -2
    for k, ln in enumerate(cover):
        if not (ln.size and abs(ln.size - top) <= SAME_SIZE and _title_like(ln.text)):
            continue
        # Parts set apart on the cover (series … volume) are one title; a line right below
        # a part that already names the document's kind (…實施計畫) is its subtitle.
        if parts and k == previous + 1 and DOC_KIND.search(parts[-1]):
            break
        parts.append(ln.text)
        previous = k
    return _join_parts(parts)


def _join_parts(parts: list[str]) -> str:
    out = ""
    for part in parts:
        glue = out and not part.startswith(("（", "(", "：", "-", "－", "—"))
        out += (" " if glue else "") + part
    return tidy_report_title(out) if display_width(out) <= 2 * TITLE_MAX else ""


def first_line_title(cover: list[Line]) -> str:
    """The cover's first line that looks like a title, or ""."""
    for ln in cover:
        if _title_like(ln.text):
            return tidy_report_title(ln.text)
    return ""


def meaningful_pdf_title(title: str) -> str:
    """The PDF /Title when it names the document (not a file name or a tool's default)."""
    title = re.sub(r"\s+", " ", title or "").strip()
    if not title or MEANINGLESS_PDF_TITLE.search(title) or re.search(r"[/\\]", title):
        return ""
    if not re.search(r"[\u3400-\u9fff]{2}|[A-Za-z]{3,}\s+[A-Za-z]{2,}", title):
        return ""
    return tidy_report_title(title)


def choose_title(
    cover_title: str, source: str, pdf_title: str, first_heading: str, stem: str
) -> str:
    """Pick the title: a strong cover title, the PDF /Title, a weak cover title, a heading, stem.

    source says how the cover title was found: "field" or "size" (strong), "" (a guess).
    """
    strong = cover_title if source in ("field", "size") else ""
    weak = cover_title if not strong else ""
    return strong or meaningful_pdf_title(pdf_title) or weak or first_heading or stem
