#!/usr/bin/env python3
"""Turns `perf script` output into a flame graph (SVG), with the standard
library only: stacks are folded (root first), merged into a tree, and each
frame drawn as a box as wide as its share of the samples.

    perf script -i perf.data | bench/flamegraph.py --title "GET /healthz" > out.svg

Frames under --min-percent (default 0.3 %) are left out of the drawing.
"""
import argparse
import html
import re
import sys
import zlib

FRAME = re.compile(r"^\s*[0-9a-f]+\s+(.+?)\s+\((.*)\)\s*$")


def folded_stacks(lines):
    """Yields (frames root-first) per sample of `perf script` text."""
    stack, in_sample = [], False
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if in_sample and stack:
                yield list(reversed(stack))
            stack, in_sample = [], False
            continue
        if not in_sample:
            in_sample = True  # the sample's header line: command, pid, time
            stack = []
            continue
        m = FRAME.match(line)
        if not m:
            continue
        symbol, dso = m.group(1), m.group(2)
        symbol = re.sub(r"\+0x[0-9a-f]+$", "", symbol)
        if symbol == "[unknown]":
            symbol = "[" + dso.rsplit("/", 1)[-1] + "]"
        # Templates make C++ names unreadable in a box: keep the outer name.
        symbol = re.sub(r"<.*>", "<…>", symbol)
        stack.append(symbol)
    if in_sample and stack:
        yield list(reversed(stack))


def build_tree(stacks):
    root = {"name": "all", "count": 0, "children": {}}
    for frames in stacks:
        root["count"] += 1
        node = root
        for f in frames:
            child = node["children"].setdefault(f, {"name": f, "count": 0, "children": {}})
            child["count"] += 1
            node = child
    return root


def colour(name):
    h = zlib.crc32(name.encode())
    if name.startswith("companion::"):
        return f"rgb({200 + h % 55},{120 + h % 60},{40 + h % 40})"
    if "kernel" in name or name.startswith(("__x64", "do_", "tcp_", "ip_", "__sys", "sys_")):
        return f"rgb({230},{100 + h % 80},{100 + h % 60})"
    return f"rgb({210 + h % 45},{150 + h % 80},{60 + h % 50})"


def draw(root, title, min_percent, width=1200, row=16):
    total = max(root["count"], 1)
    boxes, depth_max = [], 0

    def walk(node, x, depth):
        nonlocal depth_max
        w = node["count"] / total * width
        if node["count"] / total * 100 < min_percent:
            return
        depth_max = max(depth_max, depth)
        boxes.append((x, depth, w, node))
        cx = x
        for child in sorted(node["children"].values(), key=lambda c: c["name"]):
            walk(child, cx, depth + 1)
            cx += child["count"] / total * width

    walk(root, 0.0, 0)
    height = (depth_max + 3) * row
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="monospace" font-size="11">',
        f'<text x="4" y="{row - 3}">{html.escape(title)} ({total} samples)</text>',
    ]
    for x, depth, w, node in boxes:
        y = height - (depth + 1) * row
        pct = node["count"] / total * 100
        label = html.escape(node["name"])
        out.append(
            f'<g><title>{label} ({pct:.1f} %)</title>'
            f'<rect x="{x:.1f}" y="{y}" width="{max(w - 0.5, 0.1):.1f}" height="{row - 1}" '
            f'fill="{colour(node["name"])}"/>'
        )
        chars = int(w / 7)
        if chars >= 4:
            text = node["name"] if len(node["name"]) <= chars else node["name"][: chars - 1] + "…"
            out.append(f'<text x="{x + 2:.1f}" y="{y + row - 4}">{html.escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--title", default="flame graph")
    parser.add_argument("--min-percent", type=float, default=0.3)
    args = parser.parse_args()
    root = build_tree(folded_stacks(sys.stdin))
    sys.stdout.write(draw(root, args.title, args.min_percent))


if __name__ == "__main__":
    main()
