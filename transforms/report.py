"""The analyst's report: a chart of the most-mentioned entities, a time line of the largest stories
and a static HTML page.

Pure rendering: frames in, SVG and HTML text out; the pipeline writes the files.
"""

from __future__ import annotations

import datetime as dt
import html

import polars as pl

# matplotlib's RdYlGn (ColorBrewer): red for negative, yellow neutral, green positive
_RED_YELLOW_GREEN = (
    "#a50026", "#d73027", "#f46d43", "#fdae61", "#fee08b", "#ffffbf",
    "#d9ef8b", "#a6d96a", "#66bd63", "#1a9850", "#006837",
)  # fmt: skip
_SENTIMENT_RANGE = 0.5  # colours saturate at ±0.5
CHART_ENTITIES = 15  # bars in the entity chart
TIMELINE_STORIES = 10  # rows of the story time line
# Tableau 10: a colour per language of the story time line (in the order of the languages' codes)
_LANGUAGE_COLOURS = (
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
    "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip


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


def _seconds(moment: dt.datetime) -> float:
    """Seconds since the epoch of a warehouse timestamp (naive ones are UTC)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _shorten(text: str | None, length: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# Tick steps of the time axis, in seconds (a month and a year as 30.44 and 365.25 days), with the
# date format their labels use.
_HOUR, _DAY = 3600, 86400
_TIME_STEPS = (
    (_HOUR, "%d %b %H:%M"), (3 * _HOUR, "%d %b %H:%M"), (6 * _HOUR, "%d %b %H:%M"), (12 * _HOUR, "%d %b %H:%M"),
    (_DAY, "%d %b"), (2 * _DAY, "%d %b"), (7 * _DAY, "%d %b"), (14 * _DAY, "%d %b"),
    (30.44 * _DAY, "%b %Y"), (91.31 * _DAY, "%b %Y"), (182.62 * _DAY, "%b %Y"),
    (365.25 * _DAY, "%Y"), (2 * 365.25 * _DAY, "%Y"), (5 * 365.25 * _DAY, "%Y"), (10 * 365.25 * _DAY, "%Y"),
)  # fmt: skip


def _time_ticks(start: float, end: float, most: int = 7) -> list[tuple[float, str]]:
    """Ticks for a time axis from `start` to `end` (epoch seconds): at most `most`, at round times
    (a multiple of the step in UTC; for months and years, a month whose number is a multiple of it)."""
    step, pattern = next(((s, p) for s, p in _TIME_STEPS if (end - start) / s <= most), _TIME_STEPS[-1])
    if step < 28 * _DAY:
        moments = [dt.datetime.fromtimestamp(-(-start // step) * step, dt.UTC)]
        while moments[-1].timestamp() + step <= end:
            moments.append(moments[-1] + dt.timedelta(seconds=step))
    else:
        months = round(step / (30.44 * _DAY))  # 1, 3, 6, 12, 24 …
        first = dt.datetime.fromtimestamp(start, dt.UTC)
        index = first.year * 12 + first.month - 1 + (first > dt.datetime(first.year, first.month, 1, tzinfo=dt.UTC))
        index = -(-index // months) * months
        moments = []
        while (moment := dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)).timestamp() <= end:
            moments.append(moment)
            index += months
    return [
        (moment.timestamp(), moment.strftime(pattern).lstrip("0")) for moment in moments if moment.timestamp() <= end
    ]


def largest_stories(
    documents: pl.DataFrame, stories: pl.DataFrame | None = None, top: int = TIMELINE_STORIES
) -> pl.DataFrame:
    """The `top` stories with the most documents (ties: earliest first, then story_id): story_id,
    headline, n_documents, first_published_at. From marts.story_overview when given, else from the
    documents' story_id (marts.document_overview)."""
    if stories is None:
        if "story_id" not in documents.columns:
            return pl.DataFrame(schema={"story_id": pl.String, "headline": pl.String, "n_documents": pl.Int64})
        stories = (
            documents.filter(pl.col("story_id").is_not_null())
            .sort("published_at", "doc_id", nulls_last=True)
            .group_by("story_id", maintain_order=True)
            .agg(
                pl.col("headline").first(),
                pl.len().cast(pl.Int64).alias("n_documents"),
                pl.col("published_at").min().alias("first_published_at"),
            )
        )
    return stories.sort(
        ["n_documents", "first_published_at", "story_id"], descending=[True, False, False], nulls_last=True
    ).head(top)


def render_story_timeline(
    documents: pl.DataFrame, stories: pl.DataFrame | None = None, top: int = TIMELINE_STORIES
) -> str:
    """An SVG time line of the largest stories: a row per story, a mark per document at its
    publication time, labelled with its outlet and language and coloured by language; undated
    documents are listed at the end of their row.

    `documents` is marts.document_overview (doc_id, story_id, headline, outlet, language,
    published_at); `stories` is marts.story_overview (or None: the stories are then read from
    the documents)."""
    missing = {"story_id": pl.String, "outlet": pl.String, "published_at": pl.Datetime("us")}
    # a document_overview from before the stories lacks them: no story to draw
    documents = documents.with_columns(
        pl.lit(None, dtype).alias(name) for name, dtype in missing.items() if name not in documents.columns
    )
    chosen = largest_stories(documents, stories, top)
    width, left, undated_width, right, lane, head = 1000, 300, 170, 16, 16, 64
    plot_left, plot_right = left + 12, width - right - undated_width - 16
    members = documents.filter(pl.col("story_id").is_in(chosen.get_column("story_id").implode()))
    languages = sorted({value or "und" for value in members.get_column("language").to_list()})
    colour = {code: _LANGUAGE_COLOURS[i % len(_LANGUAGE_COLOURS)] for i, code in enumerate(languages)}
    dated = [_seconds(value) for value in members.get_column("published_at").to_list() if value is not None]
    start, end = (min(dated), max(dated)) if dated else (0.0, 0.0)
    if end - start < _HOUR:  # one moment (or none): a day around it
        start, end = start - _DAY / 2, end + _DAY / 2
    pad = (end - start) * 0.02
    start, end = start - pad, end + pad

    def x_of(seconds: float) -> float:
        return plot_left + (plot_right - plot_left) * (seconds - start) / (end - start)

    undated_x = width - right - undated_width
    rows_svg, y = [], head
    for row, (story_id, headline, n_documents) in enumerate(
        chosen.select("story_id", "headline", "n_documents").iter_rows()
    ):
        story = members.filter(pl.col("story_id") == story_id).sort("published_at", "doc_id", nulls_last=True)
        marks, lanes, undated = [], [], []  # lanes: the spans of x each lane's marks and labels take
        for doc_headline, outlet, language, published_at in story.select(
            "headline", "outlet", "language", "published_at"
        ).iter_rows():
            language = language or "und"
            label = f"{outlet or 'no outlet'} · {language}"
            when = published_at.strftime("%Y-%m-%d %H:%M UTC") if published_at else "undated"
            note = f"{_shorten(doc_headline, 90)} ({label}, {when})"
            if published_at is None:
                undated.append((label, language, note))
                continue
            x = x_of(_seconds(published_at))
            label_width = 6.2 * len(label)
            # the label goes right of the mark, or left of it where it would run into the undated column
            leftwards = x + 8 + label_width > undated_x - 8
            span = (x - 8 - label_width, x + 6) if leftwards else (x - 6, x + 8 + label_width)
            index = next(
                (i for i, spans in enumerate(lanes) if all(span[0] > b + 4 or span[1] < a - 4 for a, b in spans)),
                len(lanes),
            )
            if index == len(lanes):
                lanes.append([])
            lanes[index].append(span)
            marks.append((x, index, leftwards, label, language, note))
        shown_undated = undated if len(undated) <= 4 else undated[:3]
        n_lanes = max(len(lanes), len(shown_undated) + (len(undated) > len(shown_undated)), 2)
        height = n_lanes * lane + 14
        middle = y + 7 + lane / 2
        summary = f"{n_documents} document{'s' if n_documents != 1 else ''}"
        outlets = {value for value in story.get_column("outlet").to_list() if value}
        if outlets:
            summary += f" · {len(outlets)} outlet{'s' if len(outlets) != 1 else ''}"
        rows_svg += [
            f'<rect x="0" y="{y}" width="{width}" height="{height}" fill="{"#f4f6f8" if row % 2 else "white"}"/>',
            f'<text x="8" y="{middle + 4}" font-weight="600"><title>{html.escape(headline or "")}</title>'
            f"{html.escape(_shorten(headline, 40))}</text>",
            f'<text x="8" y="{middle + 4 + lane}" font-size="10" fill="#555">{html.escape(summary)}</text>',
        ]
        if marks:
            xs = [mark[0] for mark in marks]
            rows_svg.append(
                f'<line x1="{min(xs):.1f}" y1="{middle}" x2="{max(xs):.1f}" y2="{middle}" stroke="#aaa" stroke-width="2"/>'
            )
        for x, index, leftwards, label, language, note in marks:
            mark_y = middle + index * lane
            if index:
                rows_svg.append(f'<line x1="{x:.1f}" y1="{middle}" x2="{x:.1f}" y2="{mark_y}" stroke="#bbb"/>')
            anchor = f'x="{x - 8:.1f}" text-anchor="end"' if leftwards else f'x="{x + 8:.1f}"'
            rows_svg += [
                f'<circle cx="{x:.1f}" cy="{mark_y}" r="5" fill="{colour[language]}" stroke="#333" stroke-width="0.5">'
                f"<title>{html.escape(note)}</title></circle>",
                f'<text {anchor} y="{mark_y + 4}" font-size="11" stroke="white" stroke-width="3" '
                f'paint-order="stroke">{html.escape(label)}</text>',
            ]
        for index, (label, language, note) in enumerate(shown_undated):
            mark_y = middle + index * lane
            rows_svg += [
                f'<circle cx="{undated_x + 6}" cy="{mark_y}" r="4.5" fill="white" stroke="{colour[language]}" '
                f'stroke-width="2"><title>{html.escape(note)}</title></circle>',
                f'<text x="{undated_x + 16}" y="{mark_y + 4}" font-size="11">{html.escape(_shorten(label, 24))}</text>',
            ]
        if len(undated) > len(shown_undated):
            rows_svg.append(
                f'<text x="{undated_x + 16}" y="{middle + len(shown_undated) * lane + 4}" font-size="11" fill="#555">'
                f"+ {len(undated) - len(shown_undated)} more undated</text>"
            )
        y += height
    axis = y + 6
    height = axis + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="system-ui, sans-serif" font-size="12" role="img" aria-label="Time line of the largest stories">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">The largest stories: a mark per document '
        "at its publication time (UTC)</text>",
    ]
    legend_x = plot_left
    for code in languages:
        parts += [
            f'<circle cx="{legend_x + 5}" cy="42" r="5" fill="{colour[code]}" stroke="#333" stroke-width="0.5"/>',
            f'<text x="{legend_x + 14}" y="46" font-size="11">{html.escape(code)}</text>',
        ]
        legend_x += 24 + 7 * len(code)
    if languages:
        parts.append(f'<text x="{undated_x}" y="46" font-size="11" fill="#555">○ undated (no publication time)</text>')
    parts += rows_svg
    if chosen.height:
        parts.append(f'<line x1="{undated_x - 8}" y1="{head}" x2="{undated_x - 8}" y2="{y}" stroke="#ccc"/>')
    if not chosen.height:
        parts.append(f'<text x="{width / 2}" y="{head + 20}" text-anchor="middle" fill="#555">No stories yet.</text>')
    elif dated:
        parts.append(f'<line x1="{plot_left}" y1="{axis}" x2="{plot_right}" y2="{axis}" stroke="#333"/>')
        for seconds, label in _time_ticks(start, end):
            x = x_of(seconds)
            parts += [
                f'<line x1="{x:.1f}" y1="{head}" x2="{x:.1f}" y2="{axis}" stroke="#000" stroke-opacity="0.08"/>',
                f'<line x1="{x:.1f}" y1="{axis}" x2="{x:.1f}" y2="{axis + 4}" stroke="#333"/>',
                f'<text x="{x:.1f}" y="{axis + 16}" text-anchor="middle" font-size="10">{html.escape(label)}</text>',
            ]
    parts.append("</svg>")
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
    entity_overview: pl.DataFrame,
    coverage: pl.DataFrame,
    documents: pl.DataFrame,
    chart_file: str,
    top: int = 25,
    stories: pl.DataFrame | None = None,
) -> str:
    """A self-contained page: the chart, the top entities, the largest stories on a time line,
    tone by language and month, documents.

    `documents` is marts.document_overview, `stories` marts.story_overview (without it the
    stories come from the documents' story_id, and the stories' table lists fewer columns)."""
    entities = entity_overview.sort(["n_mentions", "entity_name"], descending=[True, False]).head(top)
    # the marts are tables, not ordered results: the page sets its own order
    coverage = coverage.sort("language", "published_month", nulls_last=True)
    documents = documents.sort("source_path", "doc_id")
    timeline = render_story_timeline(documents, stories)
    largest = largest_stories(documents, stories) if "story_id" in documents.columns or stories is not None else None
    story_columns = {
        "headline": "headline", "n_documents": "documents", "outlets": "outlets", "languages": "languages",
        "first_published_at": "first published (UTC)", "last_published_at": "last published (UTC)",
        "top_entities": "top entities", "mean_tone": "mean tone",
    }  # fmt: skip
    story_table = (
        _table(largest, {name: title for name, title in story_columns.items() if name in largest.columns})
        if largest is not None and largest.height
        else ""
    )
    document_columns = {
        "source_path": "file", "headline": "headline", "outlet": "outlet", "language": "language",
        "published_at": "published (UTC)", "published_date": "date", "tone": "tone", "top_entities": "top entities",
    }  # fmt: skip
    if "published_at" in documents.columns:
        del document_columns["published_date"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>News Warehouse report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 2rem; font-size: 0.9rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }} img, svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>News Warehouse report</h1>
<p>{documents.height} documents, {entity_overview.height} entities.</p>
<h2>Most-mentioned entities</h2>
<img src="{html.escape(chart_file)}" alt="Bar chart of the most-mentioned entities coloured by mean sentiment">
{_table(entities, {"entity_name": "entity", "entity_label": "label", "n_mentions": "mentions", "n_documents": "documents", "languages": "languages", "mean_sentiment": "mean sentiment"})}
<h2>Largest stories</h2>
<p>Documents linked as one story (syndicated copies, the same story in other outlets or languages), the largest
first: a mark per document at its publication time, labelled with its outlet and language.</p>
{timeline}
{story_table}
<h2>Tone by language and month</h2>
{_table(coverage, {"language": "language", "published_month": "month", "n_documents": "documents", "n_words": "words", "mean_tone": "mean tone", "mean_sentiment": "mean sentiment"})}
<h2>Documents</h2>
{_table(documents, {name: title for name, title in document_columns.items() if name in documents.columns})}
</body></html>
"""
