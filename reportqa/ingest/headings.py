"""What a line that starts a heading, caption or named section looks like in these reports."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.ingest.clean import display_width

CN_BIG = "壹貳參叁肆伍陸柒捌玖拾"
CN_NUM = "一二三四五六七八九十"
# Heading markers by level; each must open the line, so a number inside a sentence
# (於2002年, 第5期, 如(一)所述) never matches.
HEADING_MARKERS: list[tuple[int, re.Pattern[str]]] = [
    (1, re.compile(rf"^[{CN_BIG}]{{1,3}}\s*、")),
    (1, re.compile(rf"^第[{CN_NUM}百\d]+\s*[章篇]")),
    (2, re.compile(rf"^第[{CN_NUM}百\d]+\s*節")),
    (2, re.compile(rf"^[{CN_NUM}]{{1,3}}\s*、")),
    (3, re.compile(rf"^[(（]\s*[{CN_NUM}]{{1,3}}\s*[)）]")),
    (4, re.compile(r"^\d{1,2}\s*[、．](?!\d)|^\d{1,2}\.(?!\d)\s*")),
    (5, re.compile(r"^[(（]\s*\d{1,2}\s*[)）]")),
]
NAMED_SECTIONS = re.compile(
    r"^(摘\s*要|前\s*言|結\s*論|附\s*錄|參考文獻|參考資料|目\s*[錄次录])$|^(圖|表)\s*目\s*[錄次]$"
)
TOC_HEADING = re.compile(r"^(圖\s*|表\s*)?目\s*[錄次录]$")
# Table-of-contents entries end in dot leaders (and maybe the page number), or are heading-like
# lines ending in a page number after a space.
TOC_LEADER = re.compile(r"(\.{3,}|…{2,}|·{3,}|‧{3,}|-{4,})\s*\d*\s*$")
TOC_PAGE_NUMBER = re.compile(r"\s\d{1,3}$")
FIGURE_CAPTION = re.compile(r"^圖\s*\d+(-\d+)?\s*[、.．:：\s]")
TABLE_CAPTION = re.compile(r"^表\s*\d+(-\d+)?\s*[、.．:：\s]")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(\s+#+)?\s*$")
INLINE_TITLE_MAX = 30  # 1、 新興研究領域的發展策略：… — a colon this early ends an inline title


@dataclass
class Heading:
    level: int
    title: str  # what the section path shows
    inline_body: str  # text after the title on the same item (1、 標題：內文…)


def heading_level(text: str) -> int:
    """The heading level a line's marker implies, or 0."""
    if NAMED_SECTIONS.match(text):
        return 1
    for level, pattern in HEADING_MARKERS:
        if pattern.match(text):
            return level
    return 0


def is_caption(text: str) -> bool:
    """True for a figure or table caption line (圖1、… / 表 1、…)."""
    return bool(FIGURE_CAPTION.match(text) or TABLE_CAPTION.match(text))


def is_structural(text: str) -> bool:
    """True when a line opens something new: a heading, a caption or a Markdown heading."""
    return bool(heading_level(text) or is_caption(text) or MD_HEADING.match(text))


def parse_heading(text: str, level: int) -> Heading | None:
    """Split a marked line into heading title and inline body; None when it is a list item."""
    colon = min((i for i in (text.find("："), text.find(":")) if i >= 0), default=-1)
    if 0 < colon <= INLINE_TITLE_MAX and not re.search(r"[，。；]", text[:colon]):
        return Heading(level, tidy_title(text[:colon]), text[colon:])
    if "。" in text or display_width(text) > 120:
        return None
    if level >= 3 and (display_width(text) > 40 or re.search(r"[，,；]", text)):
        return None  # 1、 Dr. Kazuhiro Hono, President — a list item, not a sub-heading
    return Heading(level, tidy_title(text), "")


def tidy_title(text: str) -> str:
    """A section title as the path shows it: runs of whitespace become one space."""
    return re.sub(r"\s+", " ", text).strip()


def balanced(text: str) -> bool:
    """True when every opening parenthesis in text is closed (a wrapped heading is complete)."""
    return text.count("(") + text.count("（") <= text.count(")") + text.count("）")
