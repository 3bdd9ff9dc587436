"""The analyst's report: a chart of the most-mentioned entities and a static HTML page.

Pure rendering: frames in, SVG and HTML text out; the pipeline writes the files.
"""

from __future__ import annotations

import html

import polars as pl

# matplotlib's RdYlGn (ColorBrewer): red for negative, yellow neutral, green positive
_RED_YELLOW_GREEN = (
    "#a50026", "#d73027", "#f46d43", "#fdae61", "#fee08b", "#ffffbf",
    "#d9ef8b", "#a6d96a", "#66bd63", "#1a9850", "#006837",
)  # fmt: skip
_SENTIMENT_RANGE = 0.5  # colours saturate at ±0.5
CHART_ENTITIES = 15  # bars in the entity chart


def markdown_table(frame: pl.DataFrame, rows: int = 5, width: int = 60) -> str:
    """The first `rows` rows of a frame as a Markdown table, cells cut at `width` characters."""
    head = frame.head(rows)
    cells = [
        [("" if value is None else str(value)).replace("\n", " ").replace("|", "\\|")[:width] for value in row]
        for row in head.iter_rows()
    ]
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def sentiment_colour(sentiment: float | None) -> str:
    """The colour of a mean sentiment on the red-yellow-green scale (None is neutral)."""
    value = 0.0 if sentiment is None else max(-_SENTIMENT_RANGE, min(_SENTIMENT_RANGE, sentiment))
    position = (value + _SENTIMENT_RANGE) / (2 * _SENTIMENT_RANGE) * (len(_RED_YELLOW_GREEN) - 1)
    low = min(int(position), len(_RED_YELLOW_GREEN) - 2)
    share = position - low
    start, end = (tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)) for colour in _RED_YELLOW_GREEN[low : low + 2])
    return "#" + "".join(f"{round(a + (b - a) * share):02x}" for a, b in zip(start, end, strict=True))


def render_entity_chart(entity_overview: pl.DataFrame, top: int = CHART_ENTITIES) -> str:
    """An SVG of horizontal bars: mentions of the `top` entities, coloured by the mean sentiment
    of their sentences, with that sentiment written at the end of each bar."""
    frame = entity_overview.sort(["n_mentions", "entity_name"], descending=[True, False]).head(top)
    width, left, right, row, head = 900, 330, 70, 26, 48
    plot = width - left - right
    height = head + row * max(frame.height, 1) + 90
    largest = max(frame.get_column("n_mentions").max() or 1, 1)
    tick = next(step for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10**4, 10**5, 10**6, 10**9)
                if largest / step <= 6)  # fmt: skip
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="system-ui, sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="15">Most-mentioned entities, '
        "coloured by the mean sentiment of their sentences</text>",
    ]
    rows = frame.select("entity_name", "entity_label", "n_mentions", "mean_sentiment").iter_rows()
    for index, (name, label, mentions, sentiment) in enumerate(rows):
        y = head + index * row
        bar = plot * mentions / largest
        note = "n/a" if sentiment is None else f"{sentiment:+.2f}"
        parts += [
            f'<text x="{left - 8}" y="{y + row / 2 + 4}" text-anchor="end">{html.escape(f"{name}  ({label})")}</text>',
            f'<rect x="{left}" y="{y + 4}" width="{bar:.1f}" height="{row - 8}" fill="{sentiment_colour(sentiment)}" '
            f'stroke="#555" stroke-width="0.5"><title>{mentions} mentions, sentiment {note}</title></rect>',
            f'<text x="{left + bar + 4:.1f}" y="{y + row / 2 + 4}" font-size="10">{note}</text>',
        ]
    axis = head + row * max(frame.height, 1) + 6
    parts.append(f'<line x1="{left}" y1="{axis}" x2="{left + plot}" y2="{axis}" stroke="#333"/>')
    for value in range(0, largest + 1, tick):
        x = left + plot * value / largest
        parts += [
            f'<line x1="{x:.1f}" y1="{axis}" x2="{x:.1f}" y2="{axis + 4}" stroke="#333"/>',
            f'<text x="{x:.1f}" y="{axis + 16}" text-anchor="middle" font-size="10">{value}</text>',
        ]
    parts.append(f'<text x="{left + plot / 2}" y="{axis + 32}" text-anchor="middle">mentions</text>')
    # the colour scale
    scale_y, scale_x, scale_width = axis + 48, left + plot / 2 - 150, 300
    stops = "".join(
        f'<stop offset="{i / (len(_RED_YELLOW_GREEN) - 1):.2f}" stop-color="{colour}"/>'
        for i, colour in enumerate(_RED_YELLOW_GREEN)
    )
    parts += [
        f'<defs><linearGradient id="sentiment">{stops}</linearGradient></defs>',
        f'<rect x="{scale_x}" y="{scale_y}" width="{scale_width}" height="10" fill="url(#sentiment)" stroke="#555" '
        'stroke-width="0.5"/>',
        f'<text x="{scale_x - 6}" y="{scale_y + 9}" text-anchor="end" font-size="10">−{_SENTIMENT_RANGE}</text>',
        f'<text x="{scale_x + scale_width + 6}" y="{scale_y + 9}" font-size="10">+{_SENTIMENT_RANGE}</text>',
        f'<text x="{scale_x + scale_width / 2}" y="{scale_y + 24}" text-anchor="middle" font-size="10">'
        "mean sentence sentiment</text>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


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
    # the marts are tables, not ordered results: the page sets its own order
    coverage = coverage.sort("language", "published_month", nulls_last=True)
    documents = documents.sort("source_path", "doc_id")
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
