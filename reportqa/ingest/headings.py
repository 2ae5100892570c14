"""What a line that starts a heading, caption or named section looks like in these reports."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reportqa.ingest.clean import display_width

CN_BIG = "壹貳參叁肆伍陸柒捌玖拾佰"
CN_NUM = "一二三四五六七八九十ㄧ"  # ㄧ: the Bopomofo letter typed for 一 (ㄧ、課程發展)
LAW_NUM = rf"[{CN_NUM}百千零〇○\d]+"
# Law structure 編 / 章 / 節 / 條, with the spaces Word and Aspose put inside (第 一 章 總綱).
LAW_PART = re.compile(rf"^第\s*{LAW_NUM}\s*編")
ARTICLE = re.compile(rf"^第\s*{LAW_NUM}\s*條(\s*之\s*{LAW_NUM})?(?=\s|$)")
LAW_MARKER = re.compile(rf"^第\s*({LAW_NUM})\s*([編章篇節條])(?:\s*之\s*({LAW_NUM}))?")
# An appendix restarts the numbering (附錄二：… then 壹、前言): its own headings nest under it.
APPENDIX = re.compile(rf"^附\s*[錄件]\s*[{CN_NUM}\d]{{1,3}}\s*[：:、．.\s]")
# After 1-1 a title follows, not a unit (1-2月, 3-5人 are ranges).
SECTION_NUMBER_END = r"(?=\s|[\u3400-\u9fff])(?!\s*[月日年頁號點時歲期名人個])"
# Heading markers by level; each must open the line, so a number inside a sentence
# (於2002年, 第5期, 如(一)所述) never matches.
HEADING_MARKERS: list[tuple[int, re.Pattern[str]]] = [
    (1, re.compile(rf"^[{CN_BIG}]{{1,4}}\s*、")),
    (1, LAW_PART),
    (1, APPENDIX),
    (1, re.compile(rf"^第\s*{LAW_NUM}\s*[章篇]")),
    (2, re.compile(rf"^第\s*{LAW_NUM}\s*節")),
    (2, re.compile(rf"^[{CN_NUM}]{{1,3}}\s*、")),
    (
        2,
        re.compile(r"^\d{1,2}-\d{1,2}(?=\s|[\u3400-\u9fff])(?!\s*[月日年頁號點時歲期名人個])"),
    ),  # 1-1 研究背景
    (3, ARTICLE),
    (
        3,
        re.compile(
            r"^\d{1,2}-\d{1,2}-\d{1,2}(?=\s|[\u3400-\u9fff])(?!\s*[月日年頁號點時歲期名人個])"
        ),
    ),
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
DIGIT_CJK_GAP = re.compile(r"(?<=\d) (?=[\u3400-\u9fff])|(?<=[\u3400-\u9fff]) (?=\d)")
INLINE_TITLE_MAX = 30  # 1、 新興研究領域的發展策略：… — a colon this early ends an inline title
TITLE_COLON = re.compile(r"[：:](?!//)")  # not the colon of https://
BULLET = re.compile(r"^[⚫●•■◆▪►➢✓□○◎◼◾]\s*")  # a bulleted item starts a new paragraph


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


def heading_rank(text: str, level: int) -> float:
    """Where a heading nests: its level, except that a law's 編 sits above its 章 and an
    appendix above its own 壹、 (all level 1)."""
    return level - 0.5 if LAW_PART.match(text) or APPENDIX.match(text) else float(level)


def is_article(text: str) -> bool:
    """True for a law article's marker line (第 1 條, 第十條之一 …)."""
    return bool(ARTICLE.match(text))


def is_caption(text: str) -> bool:
    """True for a figure or table caption line (圖1、… / 表 1、…)."""
    return bool(FIGURE_CAPTION.match(text) or TABLE_CAPTION.match(text))


def is_structural(text: str) -> bool:
    """True when a line opens something new: a heading, a caption, a Markdown heading or a
    bulleted item."""
    return bool(
        heading_level(text) or is_caption(text) or MD_HEADING.match(text) or BULLET.match(text)
    )


def parse_heading(text: str, level: int) -> Heading | None:
    """Split a marked line into heading title and inline body; None when it is a list item."""
    article = ARTICLE.match(text)
    if article:  # 第 1 條 [本文…]: the article number is the section, the rest its body
        return Heading(level, tidy_title(text[: article.end()]), text[article.end() :])
    if APPENDIX.match(text) and not re.search(r"[，。；]", text):
        return Heading(level, tidy_title(text), "")  # 附錄二：議題融入…說明 is all title
    colon = next((m.start() for m in TITLE_COLON.finditer(text)), -1)
    if 0 < colon <= INLINE_TITLE_MAX and not re.search(r"[，。；]", text[:colon]):
        return Heading(level, tidy_title(text[:colon]), text[colon:])
    if "。" in text or display_width(text) > 120:
        if level == 1:  # 壹拾貳、 本計畫未盡事宜，…。 — a top-level item is a section of its own
            cut = re.search(r"[，。；,]", text)
            end = cut.start() if cut and cut.start() <= INLINE_TITLE_MAX else INLINE_TITLE_MAX
            return Heading(level, tidy_title(text[:end]), text[end:])
        return None
    if level >= 3 and (display_width(text) > 40 or re.search(r"[，,；]", text)):
        return None  # 1、 Dr. Kazuhiro Hono, President — a list item, not a sub-heading
    return Heading(level, tidy_title(text), "")


def tidy_title(text: str) -> str:
    """A section title as the path shows it: one space between words, none inside a law's
    marker (第 一 章 總綱 → 第一章 總綱)."""
    text = re.sub(r"\s+", " ", text).strip()
    law = LAW_MARKER.match(text)
    if law:
        marker = f"第{law.group(1)}{law.group(2)}" + (f"之{law.group(3)}" if law.group(3) else "")
        rest = text[law.end() :].strip()
        text = f"{marker} {rest}" if rest else marker
    return text


def tidy_report_title(text: str) -> str:
    """A report title as citations show it: no gap between a number and CJK (111 學年度)."""
    return DIGIT_CJK_GAP.sub("", tidy_title(text))


def balanced(text: str) -> bool:
    """True when every opening parenthesis in text is closed (a wrapped heading is complete)."""
    return text.count("(") + text.count("（") <= text.count(")") + text.count("）")
