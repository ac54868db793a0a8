#!/usr/bin/python3
"""Compares an award's page as a browser rendered it (chromium --dump-dom)
with `grantctl report --award ID --json` (by user), and checks that nothing
in it runs or loads: no script, no element or attribute that fetches or
executes, the hostile text shown as text.

Usage: award_page_check.py DOM.html REPORT.json HOSTILE_REASON
Prints "ok" lines; exit 1 with "not ok" lines on any difference.
"""
import json
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []          # every start tag: (name, attrs)
        self.stack = []         # open elements: (name, attrs)
        self.text_by_id = {}
        self.rows = {}          # data-user -> {class: text}
        self.reasons = []
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("meta", "br", "img", "link", "input", "source", "path", "line", "rect", "circle", "polyline",
                   "polygon"):
            return
        self.stack.append((tag, a, []))

    def handle_endtag(self, tag):
        if tag not in [name for name, _, _ in self.stack]:
            return  # the end of a void or unpushed element (SVG's <rect></rect>)
        while self.stack:
            name, a, text = self.stack.pop()
            t = "".join(text)
            for _, _, outer in self.stack:
                outer.append(t)
            if a.get("id"):
                self.text_by_id[a["id"]] = t
            if name == "td":
                row = next((x for x in reversed(self.stack) if x[0] == "tr"), None)
                if row is not None and row[1].get("data-user") is not None and a.get("class"):
                    cls = a["class"].split()[-1]
                    self.rows.setdefault(row[1]["data-user"], {})[cls] = t
                if "reason" in (a.get("class") or "").split():
                    self.reasons.append(t)
            if name == tag:
                break

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][2].append(data)


def main():
    dom, report, hostile = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(dom, encoding="utf-8") as f:
        p = Page()
        p.feed(f.read())
    with open(report, encoding="utf-8") as f:
        r = json.load(f, parse_float=lambda text: text)  # the numbers exactly as printed
    fails = []

    def check(ok, what):
        print(("ok - " if ok else "not ok - ") + what)
        if not ok:
            fails.append(what)

    award = r["awards"][0]
    check(p.text_by_id.get("award") == award["award"], "the page names the award %s" % award["award"])
    names = [t for t, _ in p.tags]
    check("script" not in names, "no script element (found %d)" % names.count("script"))
    check("img" not in names and "iframe" not in names and "object" not in names and "link" not in names,
          "no img, iframe, object or link element")
    bad = [(t, k) for t, a in p.tags for k in a if k.startswith("on") or k in ("src", "href", "xlink:href")]
    check(not bad, "no event handler, src or href attribute: %s" % bad)
    check(names.count("svg") == 1, "the burn-down chart is inline SVG")
    check(hostile in p.reasons, "the hostile reason is shown as text, exactly")
    for row in award["rows"]:
        got = p.rows.get(row["user"], {})
        want = {"runs": str(row["runs"]), "chip_seconds": str(row["chip_seconds"]),
                "chip_hours": str(row["chip_hours"]), "usd": str(row["usd"])}
        check(all(got.get(k) == v for k, v in want.items()),
              "member %s: %s in the page, %s in report --json" % (row["user"], got, want))
    check(len([u for u in p.rows if u in {row["user"] for row in award["rows"]}]) == len(award["rows"]),
          "every member of report --json is in the page")
    check(p.text_by_id.get("report-charged") == str(award["total"]["charged"]),
          "charged: %s in the page, %s in report --json" % (p.text_by_id.get("report-charged"),
                                                               award["total"]["charged"]))
    f = r.get("forecast")
    if f:
        for k in ("per_day", "burned", "days"):
            got, want = p.text_by_id.get(k), str(f[k])
            check(got == want, "forecast %s: %s in the page, %s in report --json" % (k, got, want))
        check(p.text_by_id.get("forecast", "").startswith("at "), "the forecast sentence")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
