"""The analyst's report: a chart of the most-mentioned entities and a static HTML page.

Pure rendering: frames in, PNG bytes and HTML text out; the pipeline writes the files.
"""

from __future__ import annotations

import html
import io

import polars as pl


def render_entity_chart(entity_overview: pl.DataFrame, top: int = 15) -> bytes:
    """Horizontal bars: mentions of the `top` entities, coloured by the mean sentiment around them."""
    # imported here: matplotlib takes a second and a half to import, and only the report needs it
    import matplotlib

    matplotlib.use("Agg")  # no display, no GUI toolkit
    import matplotlib.pyplot as plt
    from matplotlib import cm, colors

    frame = entity_overview.sort(["n_mentions", "entity_name"], descending=[True, False]).head(top).reverse()
    norm = colors.TwoSlopeNorm(vmin=-0.5, vcenter=0.0, vmax=0.5)
    colormap = matplotlib.colormaps["RdYlGn"]
    sentiments = [0.0 if value is None else value for value in frame.get_column("mean_sentiment").to_list()]
    figure, axes = plt.subplots(figsize=(9, 0.45 * max(frame.height, 4) + 1.5), dpi=110)
    names = [f"{name}  ({label})" for name, label in frame.select("entity_name", "entity_label").iter_rows()]
    bars = axes.barh(names, frame.get_column("n_mentions").to_list(), color=[colormap(norm(s)) for s in sentiments])
    for bar, sentiment in zip(bars, sentiments, strict=True):
        axes.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {sentiment:+.2f}", va="center", fontsize=8)
    axes.set_xlabel("mentions")
    axes.set_title("Most-mentioned entities, coloured by the mean sentiment of their sentences")
    axes.spines[["top", "right"]].set_visible(False)
    figure.colorbar(cm.ScalarMappable(norm=norm, cmap=colormap), ax=axes, label="mean sentence sentiment", shrink=0.6)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _table(frame: pl.DataFrame, columns: dict[str, str]) -> str:
    head = "".join(f"<th>{html.escape(title)}</th>" for title in columns.values())
    rows = []
    for row in frame.select(list(columns)).iter_rows():
        cells = []
        for value in row:
            if isinstance(value, float):
                text = f"{value:.3f}"
            elif isinstance(value, list):
                text = ", ".join(map(str, value))
            else:
                text = "" if value is None else str(value)
            cells.append(f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render_report_html(
    entity_overview: pl.DataFrame, coverage: pl.DataFrame, documents: pl.DataFrame, chart_file: str, top: int = 25
) -> str:
    """A self-contained page: the chart, the top entities, tone by language and month, documents."""
    entities = entity_overview.sort(["n_mentions", "entity_name"], descending=[True, False]).head(top)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>News Warehouse report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 2rem; font-size: 0.9rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }} img {{ max-width: 100%; }}
</style></head><body>
<h1>News Warehouse report</h1>
<p>{documents.height} documents, {entity_overview.height} entities.</p>
<h2>Most-mentioned entities</h2>
<img src="{html.escape(chart_file)}" alt="Bar chart of the most-mentioned entities coloured by mean sentiment">
{_table(entities, {"entity_name": "entity", "entity_label": "label", "n_mentions": "mentions", "n_documents": "documents", "languages": "languages", "mean_sentiment": "mean sentiment"})}
<h2>Tone by language and month</h2>
{_table(coverage, {"language": "language", "published_month": "month", "n_documents": "documents", "n_words": "words", "mean_tone": "mean tone", "mean_sentiment": "mean sentiment"})}
<h2>Documents</h2>
{_table(documents, {"source_path": "file", "headline": "headline", "language": "language", "published_date": "date", "tone": "tone", "top_entities": "top entities"})}
</body></html>
"""
