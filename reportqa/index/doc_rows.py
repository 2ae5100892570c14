"""A report's rows in SQLite (documents, chunks, sentences, FTS5 tokens, aliases), inserted and
deleted inside the writer's transaction (reportqa.index.writer); reads are reportqa.index.rows."""

from __future__ import annotations

import json
import sqlite3
import time

from reportqa.index.aliases import mine_aliases
from reportqa.index.highlight import sentence_weight
from reportqa.index.passages import lexical_text
from reportqa.index.text import tokenize
from reportqa.ingest import Document
from reportqa.ingest.sentences import evidence_units


def delete_documents(conn: sqlite3.Connection, doc_ids: list[str]) -> list[int]:
    """Delete documents' rows (inside the caller's transaction); the chunk ids removed."""
    old_ids: list[int] = []
    for doc_id in doc_ids:
        ids = [r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))]
        conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in ids])
        conn.executemany("DELETE FROM sentences WHERE chunk_id = ?", [(i,) for i in ids])
        for table in ("chunks", "aliases", "documents"):
            conn.execute(f"DELETE FROM {table} WHERE doc_id = ?", (doc_id,))
        old_ids += ids
    return old_ids


def insert_document(
    conn: sqlite3.Connection, doc: Document
) -> tuple[list[int], list[tuple[int, int]]]:
    """Insert a document's rows, sentences, lexical entries and aliases.

    Returns its chunk ids and (sentence id, chunk id) pairs in `sentence_texts` order.
    """
    conn.execute(
        "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            doc.doc_id,
            doc.title,
            doc.source,
            doc.content_hash,
            doc.page_count,
            json.dumps(doc.meta, ensure_ascii=False),
            len(doc.chunks),
            time.time(),
        ),
    )
    ids, sentence_ids = [], []
    for chunk in doc.chunks:
        text = chunk.display_text
        cur = conn.execute(
            "INSERT INTO chunks (doc_id, ordinal, section_json, pages_json, kind, text, prefix,"
            " ocr) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.doc_id,
                chunk.ordinal,
                json.dumps(chunk.section, ensure_ascii=False),
                json.dumps(chunk.pages),
                chunk.kind,
                chunk.text,
                chunk.prefix,
                int(chunk.ocr),
            ),
        )
        chunk_id = cur.lastrowid
        ids.append(chunk_id)
        for start, end in evidence_units(text):
            row = conn.execute(
                "INSERT INTO sentences (chunk_id, start, end, tokens, weight) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    chunk_id,
                    start,
                    end,
                    " ".join(dict.fromkeys(tokenize(text[start:end]))),
                    sentence_weight(text[start:end]),
                ),
            )
            sentence_ids.append((row.lastrowid, chunk_id))
        conn.execute(
            "INSERT INTO chunks_fts (rowid, tokens) VALUES (?, ?)",
            (
                chunk_id,
                " ".join(tokenize(lexical_text(chunk.section, chunk.display_text))),
            ),
        )
    pairs = {p for c in doc.chunks for p in mine_aliases(c.text)}
    conn.executemany(
        "INSERT OR IGNORE INTO aliases VALUES (?, ?, ?)",
        [(doc.doc_id, term, name) for term, name in sorted(pairs)],
    )
    return ids, sentence_ids
