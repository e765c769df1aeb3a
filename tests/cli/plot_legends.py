#!/usr/bin/env python3
"""Every plot renders, and every legend entry has a visible mark in the plotting area (issue 18).

Usage: plot_legends.py FILE.svg ...          check each file; exit 1 naming each problem
       plot_legends.py --self-test FILE.svg  break FILE's plot on purpose (one series' marks removed, or
                                             moved off the plot area with no off-chart marker) and exit 1
                                             unless the check finds each broken plot

Each file is rendered with rsvg-convert (librsvg: it must exit 0 and write a PNG). Then, from the SVG
alone, independently of the code that wrote it: in every line chart (<g class="line-chart">) the plot
area is the rect of class plot-area, and each legend entry (<g class="legend-entry" data-series="k">)
needs, outside the legend, an element of series k in the entry's colour that shows inside that rect:
a path with a segment crossing it (stroked, width > 0), a point (circle, r > 0) in it, a band (polygon)
overlapping it with some opacity, or an off-chart triangle (class off-chart) on its top or bottom edge,
centred within its x range.
"""
import copy
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
EPS = 0.5  # pixels: coordinates are written with 2 decimals


def numbers(text):
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", text)]


def classes(el):
    return el.get("class", "").split()


def painted(el, attribute):
    """The element's paint in `attribute` (fill or stroke), or None when nothing is painted."""
    paint = el.get(attribute, "black" if attribute == "fill" else "none")
    if paint == "none":
        return None
    for opacity in ("opacity", attribute + "-opacity"):
        if float(el.get(opacity, "1")) <= 0:
            return None
    return paint.lower()


def segment_crosses(p, q, rect):
    """Whether the segment p-q has a part of positive length inside rect (Liang-Barsky clipping)."""
    left, top, right, bottom = rect
    (x0, y0), (x1, y1) = p, q
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for denominator, numerator in ((-dx, x0 - (left - EPS)), (dx, (right + EPS) - x0), (-dy, y0 - (top - EPS)),
                                   (dy, (bottom + EPS) - y0)):
        if denominator == 0:
            if numerator < 0:
                return False
            continue
        t = numerator / denominator
        if denominator < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return (t1 - t0) * (abs(dx) + abs(dy)) > 1e-6


def path_segments(d):
    """The straight segments of a path of M and L commands (all the writer draws)."""
    segments, current = [], None
    for command, args in re.findall(r"([MLml])([^MLml]*)", d):
        values = numbers(args)
        for i in range(0, len(values) - 1, 2):
            point = (values[i], values[i + 1])
            if command in "Ll" and current is not None:
                segments.append((current, point))
            current = point
            if command in "Mm":
                command = "L"  # further pairs after M are line-tos
    return segments


def inside(x, y, rect):
    left, top, right, bottom = rect
    return left - EPS <= x <= right + EPS and top - EPS <= y <= bottom + EPS


def shows_inside(el, rect, color):
    """Whether `el` is a visible mark of colour `color` inside (or, off-chart, on the frame of) rect."""
    tag = el.tag[len(NS):] if el.tag.startswith(NS) else el.tag
    if tag == "path":
        if painted(el, "stroke") != color or float(el.get("stroke-width", "1")) <= 0:
            return False
        return any(segment_crosses(p, q, rect) for p, q in path_segments(el.get("d", "")))
    if tag == "circle":
        if painted(el, "fill") != color or float(el.get("r", "0")) <= 0:
            return False
        return inside(float(el.get("cx")), float(el.get("cy")), rect)
    if tag == "polygon":
        if painted(el, "fill") != color:
            return False
        values = numbers(el.get("points", ""))
        xs, ys = values[0::2], values[1::2]
        if not xs:
            return False
        left, top, right, bottom = rect
        if "off-chart" in classes(el):  # a triangle whose base lies on the top or bottom edge, centred in x range
            on_edge = [y for y in ys if abs(y - top) <= EPS or abs(y - bottom) <= EPS]
            return len(on_edge) >= 2 and left - EPS <= sum(xs) / len(xs) <= right + EPS
        return min(xs) < right and max(xs) > left and min(ys) < bottom and max(ys) > top and max(xs) > min(xs)
    return False


def legend_color(entry):
    for el in entry.iter():
        if el.tag == NS + "line":
            return painted(el, "stroke")
    return None


def legend_name(entry):
    texts = [el.text or "" for el in entry.iter() if el.tag == NS + "text"]
    return texts[0] if texts else "?"


def marks_of(chart):
    """Elements carrying data-series in the chart, the legend's own excluded."""
    found = []

    def walk(el):
        for child in el:
            if "legend-entry" in classes(child):
                continue
            if child.get("data-series") is not None:
                found.append(child)
            walk(child)

    walk(chart)
    return found


def legend_problems(root):
    problems = []
    for index, chart in enumerate(line_charts(root)):
        areas = [el for el in chart.iter() if el.tag == NS + "rect" and "plot-area" in classes(el)]
        if len(areas) != 1:
            problems.append(f"line chart {index}: {len(areas)} plot areas")
            continue
        a = areas[0]
        x, y, w, h = (float(a.get(k)) for k in ("x", "y", "width", "height"))
        rect = (x, y, x + w, y + h)
        marks = marks_of(chart)
        for entry in (el for el in chart.iter() if "legend-entry" in classes(el)):
            series, color = entry.get("data-series"), legend_color(entry)
            if not any(m.get("data-series") == series and shows_inside(m, rect, color) for m in marks):
                problems.append(f"line chart {index}: legend entry '{legend_name(entry)}' (series {series}, {color}) "
                                "has no visible mark inside the plot area")
    return problems


def render_problem(path):
    with tempfile.NamedTemporaryFile(suffix=".png") as png:
        run = subprocess.run(["rsvg-convert", "-o", png.name, path], capture_output=True, text=True)
        if run.returncode != 0:
            return f"rsvg-convert failed: {run.stderr.strip()}"
        with open(png.name, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                return "rsvg-convert wrote no PNG"
    return None


def check(path):
    problems = []
    render = render_problem(path)
    if render:
        problems.append(render)
    try:
        problems += legend_problems(ET.parse(path).getroot())
    except ET.ParseError as e:
        problems.append(f"not well-formed XML: {e}")
    return problems


def line_charts(root):
    return [el for el in root.iter() if el.tag == NS + "g" and "line-chart" in classes(el)]


def broken_variants(root):
    """For the first legend entry with marks: copies of the plot with that series' marks removed, and with
    them moved above the plot area and its off-chart markers dropped; each with the problem it must raise."""
    for index, chart in enumerate(line_charts(root)):
        for entry in (el for el in chart.iter() if "legend-entry" in classes(el)):
            series = entry.get("data-series")
            if not any(m.get("data-series") == series for m in marks_of(chart)):
                continue
            expected = f"line chart {index}: legend entry '{legend_name(entry)}' (series {series},"
            removed, moved = copy.deepcopy(root), copy.deepcopy(root)
            for broken, move in ((removed, False), (moved, True)):
                target = line_charts(broken)[index]
                for parent in list(target.iter()):
                    for child in list(parent):
                        if child.get("data-series") != series or "legend-entry" in classes(child):
                            continue
                        if not move or "off-chart" in classes(child):  # all values off the chart, no marker
                            parent.remove(child)
                        elif child.tag == NS + "circle":
                            child.set("cy", "-1000")
                        elif child.tag == NS + "path":
                            child.set("d", re.sub(r"([ML])(-?[\d.]+) (-?[\d.]+)", r"\1\2 -1000", child.get("d")))
                        elif child.tag == NS + "polygon":
                            values = numbers(child.get("points"))
                            child.set("points", " ".join(f"{values[i]},-1000" for i in range(0, len(values), 2)))
            return [("marks removed", removed, expected), ("moved off the plot area, no marker", moved, expected)]
    return []


def main(argv):
    if len(argv) == 3 and argv[1] == "--self-test":
        root = ET.parse(argv[2]).getroot()
        if legend_problems(root):
            print(f"{argv[2]}: the unbroken plot already fails", file=sys.stderr)
            return 1
        variants = broken_variants(root)
        if not variants:
            print(f"{argv[2]}: no legend entry with marks to break", file=sys.stderr)
            return 1
        status = 0
        for what, broken, expected in variants:
            problems = legend_problems(broken)
            found = len(problems) == 1 and problems[0].startswith(expected)
            print(f"self-test ({what}): {problems[0] if found else 'NOT DETECTED as ' + expected + ' alone: ' + str(problems)}")
            status |= 0 if found else 1
        return status
    status = 0
    for path in argv[1:]:
        problems = check(path)
        for p in problems:
            print(f"{path}: {p}", file=sys.stderr)
        status |= 1 if problems else 0
    count = len(argv) - 1
    print(f"checked {count} plot{'' if count == 1 else 's'}: "
          f"{'problems above' if status else 'every one renders, every legend entry has a mark'}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
