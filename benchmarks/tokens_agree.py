"""Do rjieba and Python jieba cut the same words? Prints runs compared and any difference.

    PYTHONPATH=$PWD python benchmarks/tokens_agree.py

Texts: every chunk of the sample and the shared real PDFs, their raw pypdf pages and the English
texts of reportqa.eval.corpus, folded as the library folds them (NFKC, t2s, lower case); each
CJK run cut without HMM by both, as reportqa.index.text.tokenize cuts it.
"""

from __future__ import annotations

import logging
import sys
import time


def main() -> int:
    started = time.perf_counter()
    import rjieba

    segmenter = rjieba.Jieba()
    rjieba_s = time.perf_counter() - started
    started = time.perf_counter()
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    jieba_s = time.perf_counter() - started

    from reportqa.eval.corpus import english_texts, raw_page_texts, source_documents
    from reportqa.index.text import CJK_RUN, fold

    texts = [c.display_text for d in source_documents() for c in d.chunks]
    texts += raw_page_texts() + english_texts()
    runs = [r for t in texts for r in CJK_RUN.findall(fold(t))]
    differ, words, cut = [], 0, {"jieba": 0.0, "rjieba": 0.0}
    for run in runs:
        started = time.perf_counter()
        a = [w for w in jieba.lcut(run, HMM=False) if w.strip()]
        cut["jieba"] += time.perf_counter() - started
        started = time.perf_counter()
        b = [w for w in segmenter.cut(run, False) if w.strip()]
        cut["rjieba"] += time.perf_counter() - started
        words += len(a)
        if a != b:
            differ.append((run, a, b))
    print(
        f"{len(texts)} texts, {len(runs)} CJK runs, {words} jieba words; runs cut differently: "
        f"{len(differ)}\nstart-up: jieba {jieba_s:.2f} s (dictionary load), rjieba "
        f"{rjieba_s:.2f} s; cutting: jieba {cut['jieba']:.2f} s, rjieba {cut['rjieba']:.2f} s"
    )
    for run, a, b in differ[:10]:
        print(f"  {run[:30]}: jieba {a[:8]} rjieba {b[:8]}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
