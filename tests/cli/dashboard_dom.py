#!/usr/bin/env python3
"""Read the DOM Chromium dumped (--dump-dom) on stdin and print what the
dashboard test checks: the series charts (host and cell), change-point
markers, open-regression rows, script errors, and elements that would
load something from elsewhere (src or href attributes). Elements are
counted by the parser, not by grepping: script text is not an element."""
import sys
from html.parser import HTMLParser


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.series, self.errors, self.rows, self.cps, self.external = [], 0, 0, 0, 0
        self.rendered = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "svg" and "series" in cls:
            self.series.append("%s|%s" % (a.get("data-host"), a.get("data-cell")))
        if "js-error" in cls:
            self.errors += 1
        if tag == "tr" and "open-regression" in cls:
            self.rows += 1
        if tag == "line" and "changepoint" in cls:
            self.cps += 1
        if "src" in a or "href" in a:
            self.external += 1
        if tag == "body":
            self.rendered = a.get("data-rendered")


d = Dom()
d.feed(sys.stdin.read())
print("rendered", d.rendered)
print("errors", d.errors)
print("open", d.rows)
print("changepoints", d.cps)
print("external", d.external)
for s in sorted(d.series):
    print("series", s)
