"""The app's CSS (a module, not a file, so it ships with the package)."""

CJK_FONTS = (
    '"Noto Sans CJK TC", "Noto Sans TC", "PingFang TC", "Microsoft JhengHei", '
    '"Source Han Sans TC", sans-serif'
)

CSS = f"""
.gradio-container {{ max-width: 1280px !important; margin: 0 auto !important; }}
body, .gradio-container, .rqa-transcript, .rqa-library {{
  font-family: var(--font), {CJK_FONTS};
}}
.rqa-header h1 {{ font-size: 1.6rem; font-weight: 700; margin: 0.2rem 0 0.1rem; }}
.rqa-header p {{ margin: 0 0 0.4rem; color: var(--body-text-color-subdued); }}
.rqa-ask-row {{ align-items: stretch; }}
.rqa-examples {{ gap: 0.4rem !important; flex-wrap: wrap; }}
.rqa-examples button {{ flex: 0 1 auto !important; min-width: 0 !important; font-weight: 400; }}

.rqa-empty {{
  padding: 1.2rem; border: 1px dashed var(--border-color-primary); border-radius: 10px;
  color: var(--body-text-color-subdued);
}}
.rqa-transcript {{ display: flex; flex-direction: column; gap: 1rem; }}
.rqa-turn {{ display: flex; flex-direction: column; gap: 0.6rem; }}
.rqa-question {{
  align-self: flex-end; max-width: 85%; background: var(--color-accent-soft);
  border-radius: 14px 14px 2px 14px; padding: 0.45rem 0.9rem;
}}
.rqa-question p {{ margin: 0; font-size: 1.02rem; white-space: pre-wrap; }}
.rqa-you {{
  display: block; font-size: 0.72rem; text-transform: uppercase; letter-spacing: 0.05em;
  color: var(--body-text-color-subdued);
}}
.rqa-passages {{ display: flex; flex-direction: column; gap: 0.6rem; }}
.rqa-passage {{
  border: 1px solid var(--border-color-primary); border-radius: 10px;
  padding: 0.65rem 0.9rem; background: var(--block-background-fill);
}}
.rqa-passage.rqa-best {{
  border: 2px solid var(--color-accent); box-shadow: 0 2px 10px rgba(79, 70, 229, 0.12);
}}
.rqa-best .rqa-snippet {{ font-size: 1.05rem; }}
.rqa-cite {{ font-size: 0.86rem; color: var(--body-text-color); line-height: 1.45; }}
.rqa-section {{ opacity: 0.8; }}
.rqa-dot {{ color: var(--body-text-color-subdued); }}
.rqa-rank {{ font-weight: 700; color: var(--color-accent); margin-right: 0.15rem; }}
.rqa-title {{ font-weight: 600; color: var(--body-text-color); }}
.rqa-pages {{ font-weight: 600; color: var(--body-text-color); white-space: nowrap; }}
.rqa-badge {{
  margin-left: 0.5rem; padding: 0.05rem 0.5rem; border-radius: 999px; font-size: 0.72rem;
  background: var(--color-accent); color: white; white-space: nowrap; vertical-align: 1px;
}}
.rqa-scan {{ background: var(--body-text-color-subdued); }}
.rqa-answer {{
  border-left: 4px solid var(--color-accent); padding: 0.4rem 0.9rem; margin-bottom: 0.6rem;
}}
.rqa-answer p {{ margin: 0.2rem 0 0; font-size: 1.08rem; line-height: 1.7; }}
.rqa-answer-cite {{ font-size: 0.86rem; font-weight: 600; }}
.rqa-no-answer {{ font-size: 0.9rem; color: var(--body-text-color-subdued); }}
.rqa-snippet, .rqa-full {{
  white-space: pre-wrap; line-height: 1.75; margin-top: 0.35rem; overflow-wrap: anywhere;
}}
.rqa-passage mark {{
  background: #fde68a; color: #1f2937; padding: 0.05rem 0.1rem; border-radius: 3px;
}}
.rqa-more {{ margin-top: 0.3rem; }}
.rqa-more summary, .rqa-history summary {{
  cursor: pointer; font-size: 0.85rem; color: var(--color-accent); user-select: none;
}}
.rqa-full {{
  border-top: 1px dashed var(--border-color-primary); padding-top: 0.4rem; font-size: 0.95rem;
}}
.rqa-footer {{ font-size: 0.78rem; color: var(--body-text-color-subdued); text-align: right; }}
.rqa-history {{ border-top: 1px solid var(--border-color-primary); padding-top: 0.6rem; }}
.rqa-history .rqa-turn {{ margin-top: 0.8rem; opacity: 0.92; }}
.rqa-notice {{
  padding: 0.55rem 0.8rem; border-radius: 8px; border: 1px solid var(--border-color-primary);
  background: var(--background-fill-secondary); overflow-wrap: anywhere;
}}
.rqa-notice.rqa-error {{ border-color: #f59e0b; background: rgba(245, 158, 11, 0.12); }}
.rqa-notice.rqa-ok {{ border-color: #10b981; background: rgba(16, 185, 129, 0.12); }}

.rqa-library {{ width: 100%; border-collapse: collapse; font-size: 0.86rem; }}
.rqa-library th {{
  text-align: left; font-weight: 600; color: var(--body-text-color-subdued);
  border-bottom: 1px solid var(--border-color-primary); padding: 0.2rem 0.3rem;
}}
.rqa-library td {{
  padding: 0.35rem 0.3rem; border-bottom: 1px solid var(--border-color-primary);
  vertical-align: top;
}}
.rqa-library td:nth-child(n+2) {{ white-space: nowrap; }}
.rqa-library code, .rqa-model code {{ font-size: 0.75rem; overflow-wrap: anywhere; }}
.rqa-model {{ font-size: 0.8rem; color: var(--body-text-color-subdued); margin: 0.4rem 0 0; }}
"""
