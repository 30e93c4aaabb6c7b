"""The gallery's ``index.html``: one self-contained page (styles and script inline).

It references only the images beside it by relative URL, so it works when opened from
``file://`` as well as from any static web server.
"""

from __future__ import annotations

import html
import math
from importlib import resources
from string import Template
from urllib.parse import quote

from ldr2hdr.gallery.luminance import LOG2_MAX, LOG2_MIN
from ldr2hdr.gallery.manifest import LEGEND_PATH, Gallery, GalleryEntry

PAGE_TITLE = "ldr2hdr gallery: 8-bit photos and their HDR reconstructions"
SLIDER_START_PERCENT = 50
PERCENT = 100


def _asset(name: str) -> str:
    return (resources.files("ldr2hdr.gallery") / "assets" / name).read_text(encoding="utf-8")


def _url(relative: str) -> str:
    return html.escape(quote(relative))


def _stops(peak: float) -> str:
    return f"{math.log2(peak):+.1f} stops" if peak > 0 else "black"


def render_card(entry: GalleryEntry) -> str:
    """The HTML of one photo: before/after slider, Ultra HDR image and luminance map."""
    name = html.escape(entry.name)
    details = (
        f"{entry.width}×{entry.height} · peak {entry.peak:.2f}× the input's white "
        f"({_stops(entry.peak)}) · {entry.above_white * PERCENT:.2f} % of pixels above it"
    )
    return f"""<section class="photo" id="{html.escape(quote(entry.name))}">
<h2>{name} <small>{html.escape(details)}</small></h2>
<div class="compare">
<img class="before" src="{_url(entry.input)}" width="{entry.width}" height="{entry.height}"
 alt="{name}: input">
<img class="after" src="{_url(entry.preview)}" alt="{name}: reconstruction, tone-mapped">
<div class="divider"></div>
<span class="label left">input (8-bit)</span>
<span class="label right">reconstruction (tone-mapped)</span>
<input type="range" min="0" max="100" value="{SLIDER_START_PERCENT}"
 aria-label="{name}: slide to compare input and reconstruction">
</div>
<div class="row">
<figure><img src="{_url(entry.uhdr)}" alt="{name}: Ultra HDR JPEG" loading="lazy">
<figcaption>Ultra HDR JPEG (HDR on HDR screens) ·
<a href="{_url(entry.uhdr)}" download>download</a></figcaption></figure>
<figure><img src="{_url(entry.luminance)}" alt="{name}: false-colour luminance" loading="lazy">
<figcaption>log2 relative luminance of the reconstruction (legend at the top)</figcaption>
</figure>
</div>
</section>"""


def _failures(gallery: Gallery) -> str:
    if not gallery.failures:
        return ""
    items = "\n".join(
        f"<li>{html.escape(source)}: {html.escape(reason)}</li>"
        for source, reason in gallery.failures
    )
    return f'<section class="failed"><h2>Not converted</h2>\n<ul>\n{items}\n</ul></section>'


def _summary(gallery: Gallery) -> str:
    size = f"shrunk to fit {gallery.box[0]}×{gallery.box[1]}" if gallery.box else "full size"
    weights = f", weights {gallery.weights}" if gallery.weights else ""
    return html.escape(f"{len(gallery.entries)} photos, {size}{weights}.")


def render_index(gallery: Gallery) -> str:
    """The complete ``index.html`` of a gallery (UTF-8 text)."""
    return Template(_asset("index.html")).substitute(
        title=html.escape(PAGE_TITLE),
        summary=_summary(gallery),
        style=_asset("gallery.css"),
        script=_asset("gallery.js"),
        legend=_url(LEGEND_PATH),
        low=f"{LOG2_MIN:+.0f}",
        high=f"{LOG2_MAX:+.0f}",
        cards="\n".join(render_card(entry) for entry in gallery.entries),
        failures=_failures(gallery),
    )
