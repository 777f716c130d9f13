"""The certificate of participation as PDF (reportlab): A4, the reader's language, the maturity chart drawn with
reportlab's own shapes (no SVG conversion, no system fonts).

reportlab's built-in Helvetica covers Windows-1252: German umlauts, ß, typographic quotes („“), dashes and the euro
sign come out right without embedding a font. A character beyond it (a Polish Ł in a company name, say) is written
as its base letter where it has one, else as "?": the HTML page beside the PDF shows every name in full.
"""
from __future__ import annotations

import io
import re
import unicodedata
from datetime import datetime
from xml.sax.saxutils import escape

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app import maturity
from app.services import calendar
from app.services.cycles import Certificate

PRIMARY = colors.HexColor("#1f5f7a")
START_COLOUR = colors.HexColor("#8fb8c9")
END_COLOUR = colors.HexColor("#1f5f7a")


def pdf_text(text: str) -> str:
    """Text that the built-in fonts can show: kept where Windows-1252 has it, else its base letter, else "?"."""
    out = []
    for char in str(text):
        try:
            char.encode("cp1252")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        try:
            base.encode("cp1252")
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i"}.get(char, "?"))
    return "".join(out)


def _p(text: str) -> str:
    """User or translated text as paragraph markup: fitted to the font, then escaped."""
    return escape(pdf_text(text))


def file_name(cert: Certificate) -> str:
    """An ASCII file name: "teilnahmebescheinigung-tischlerei-hovelmann.pdf" (the word in the reader's language)."""
    folded = unicodedata.normalize("NFKD", f"{_('certificate')}-{cert.company_name}")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.encode("ascii", "ignore").decode().lower()).strip("-")
    return f"{slug[:80] or 'certificate'}.pdf"


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName="Helvetica-Bold", fontSize=24, leading=30,
                                textColor=PRIMARY, spaceAfter=4 * mm),
        "company": ParagraphStyle("company", parent=base["Title"], fontName="Helvetica-Bold", fontSize=18,
                                  leading=23, spaceAfter=6 * mm),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=13, leading=17,
                             textColor=PRIMARY, spaceBefore=5 * mm, spaceAfter=2 * mm),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=10.5, leading=14.5),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontName="Helvetica", fontSize=8.5, leading=11,
                                textColor=colors.HexColor("#495057")),
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontName="Helvetica", fontSize=9, leading=11.5),
    }


def _chart(cert: Certificate, width: float) -> Drawing:
    """The ten areas as horizontal bars, start and end of the cycle side by side, with the levels 0–4 as axis."""
    label_w, row_h, top_pad, bottom_pad = 62 * mm, 15, 14, 34
    height = top_pad + row_h * len(cert.areas) + bottom_pad
    drawing = Drawing(width, height)
    left, right = label_w, width - 6
    bottom = bottom_pad

    def x(level: float) -> float:
        return left + (right - left) * level / 4

    for level in range(5):
        drawing.add(Line(x(level), bottom, x(level), height - top_pad + 4, strokeColor=colors.HexColor("#adb5bd"),
                         strokeWidth=0.4, strokeDashArray=[2, 2]))
        drawing.add(String(x(level), bottom - 11, str(level), fontName="Helvetica", fontSize=8, textAnchor="middle"))
    for i, area in enumerate(cert.areas):
        y = height - top_pad - (i + 1) * row_h
        short = str(maturity.get_dimension(area.key).short)
        drawing.add(String(left - 4, y + 4, pdf_text(short), fontName="Helvetica", fontSize=8, textAnchor="end"))
        for value, colour, offset in ((area.start, START_COLOUR, 6.5), (area.end, END_COLOUR, 1)):
            if value is not None:
                drawing.add(Rect(left, y + offset, max(x(value) - left, 0.8), 5.5, fillColor=colour,
                                 strokeColor=None))
    drawing.add(Line(left, bottom, left, height - top_pad + 4, strokeColor=colors.black, strokeWidth=0.6))
    drawing.add(Line(left, bottom, right, bottom, strokeColor=colors.black, strokeWidth=0.6))
    legend_y = 4
    drawing.add(Rect(left, legend_y, 8, 8, fillColor=START_COLOUR, strokeColor=None))
    drawing.add(String(left + 12, legend_y + 1, pdf_text(_("Start of the cycle")), fontName="Helvetica", fontSize=8))
    if cert.end is not None:
        drawing.add(Rect(left + 110, legend_y, 8, 8, fillColor=END_COLOUR, strokeColor=None))
        drawing.add(String(left + 122, legend_y + 1, pdf_text(_("End of the cycle")), fontName="Helvetica",
                           fontSize=8))
    drawing.add(String(left + (right - left) / 2, bottom - 22, pdf_text(_("Level (0 = none, 4 = embedded)")),
                       fontName="Helvetica", fontSize=8, textAnchor="middle"))
    return drawing


def summary(cert: Certificate) -> list[str]:
    """What the company achieved, in plain sentences (the page says the same)."""
    role = _("mentor company") if cert.role == "mentor" else _("mentee company")
    lines = [_("%(company)s took part in the programme %(programme)s (%(region)s) from %(start)s to %(end)s, as a "
               "%(role)s in the group of %(mentor)s.", company=cert.company_name, programme=cert.programme_name,
               region=cert.region, start=format_date(cert.starts_on, "long"), end=format_date(cert.ends_on, "long"),
               role=role, mentor=cert.mentor_name)]
    if cert.supervisor_name:
        lines.append(_("The group's conversation rounds were led by %(name)s (systemic supervision).",
                       name=cert.supervisor_name))
    lines.append(ngettext("The company took part in %(attended)d of the group's %(num)d conversation round.",
                          "The company took part in %(attended)d of the group's %(num)d conversation rounds.",
                          cert.sessions_held, attended=cert.sessions_attended))
    if cert.measures:
        lines.append(ngettext("It agreed %(num)d measure to support employees who care for a relative, and put "
                              "%(done)d of them into practice.",
                              "It agreed %(num)d measures to support employees who care for a relative, and put "
                              "%(done)d of them into practice.", len(cert.measures), done=cert.measures_done))
    if cert.start is not None and cert.end is not None:
        lines.append(_("In its self-assessment it moved up in %(n)d of 10 areas; its overall score went from "
                       "%(start)s to %(end)s of 100.", n=cert.areas_improved, start=cert.start.overall,
                       end=cert.end.overall))
    return lines


def render(cert: Certificate, *, issued_on: datetime) -> bytes:
    """The certificate as a PDF of one or two A4 pages."""
    styles = _styles()
    buffer = io.BytesIO()
    title = _("Certificate of participation")
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, title=pdf_text(f"{title}: {cert.company_name}"),
                            author=pdf_text(cert.carrier or cert.programme_name), creator="Tandem")
    story: list = [Paragraph(_p(title), styles["title"]), Paragraph(_p(cert.company_name), styles["company"])]
    story += [Paragraph(_p(line), styles["body"]) for line in summary(cert)]

    story.append(Paragraph(_p(_("Measures")), styles["h2"]))
    if cert.measures:
        status = {"open": _("open"), "in_progress": _("in progress"), "done": _("done"), "dropped": _("dropped")}
        rows = [[Paragraph(_p(_("Measure")), styles["cell"]), Paragraph(_p(_("Responsible")), styles["cell"]),
                 Paragraph(_p(_("Status")), styles["cell"])]]
        rows += [[Paragraph(_p(m.title), styles["cell"]), Paragraph(_p(m.owner), styles["cell"]),
                  Paragraph(_p(status.get(m.status, m.status)), styles["cell"])] for m in cert.measures]
        table = Table(rows, colWidths=[100 * mm, 40 * mm, 30 * mm], repeatRows=1)
        table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                                   ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor("#ced4da")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(table)
    else:
        story.append(Paragraph(_p(_("No measures were recorded for the company in this group.")), styles["body"]))

    story.append(Paragraph(_p(_("Caregiving-friendly company: the self-assessment at the start and at the end")),
                           styles["h2"]))
    if cert.start is None:
        story.append(Paragraph(_p(_("The company has no self-assessment.")), styles["body"]))
    else:
        if cert.end is None:
            story.append(Paragraph(_p(_("The final self-assessment is still missing: the chart shows the start "
                                        "only.")), styles["body"]))
        rows = [[Paragraph(_p(_("Area")), styles["cell"]), Paragraph(_p(_("At the start")), styles["cell"]),
                 Paragraph(_p(_("At the end")), styles["cell"])]]
        rows += [[Paragraph(_p(a.title), styles["cell"]), "–" if a.start is None else str(a.start),
                  "–" if a.end is None else str(a.end)] for a in cert.areas]
        rows.append([Paragraph(_p(_("Overall score (0–100)")), styles["cell"]), str(cert.start.overall),
                     str(cert.end.overall) if cert.end else "–"])
        table = Table(rows, colWidths=[120 * mm, 25 * mm, 25 * mm])
        table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                                   ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
                                   ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
                                   ("FONTSIZE", (1, 1), (-1, -1), 9), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        story.append(KeepTogether([_chart(cert, doc.width), Spacer(1, 3 * mm), table]))

    credits = []
    if cert.carrier:
        credits.append(_("Carrier of the programme: %(name)s", name=cert.carrier))
    if cert.funding_note:
        credits.append(cert.funding_note)
    credits.append(_("Issued on %(date)s.", date=format_date(calendar.local(issued_on).date(), "long")))
    story.append(Spacer(1, 6 * mm))
    story += [Paragraph(_p(line), styles["small"]) for line in credits]
    doc.build(story)
    return buffer.getvalue()

