#!/usr/bin/python3
"""fnlen.py - list product functions and files over the size limits.

Issue 16's "Done when": no product function over ~80 lines (a table-like
switch may stay, say why) and no product source file over ~900 lines.
Product code is common/ relay/ signaling/ db/ auth/ cluster/ and the
programs at the top level (*.c); tests/, tools/ and fuzz targets are not.

The code is in OpenBSD style, which makes functions easy to find: the
name starts a line ("name(" at column 0), the body opens with "{" alone
at column 0 and ends with "}" alone at column 0.  A function's length
counts its lines from the name to the closing brace.

Usage: tools/fnlen.py [--max-fn N] [--max-file N] [srcdir]
Exit status 1 when anything is over, so that it can gate a build.
"""
import argparse
import os
import re
import sys

DIRS = ("common", "relay", "signaling", "db", "auth", "cluster")
NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(")


def product_files(root):
    """The product's .c and .h files, relative to root, sorted."""
    out = []
    for d in DIRS:
        top = os.path.join(root, d)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [x for x in dirnames if x not in ("web",)]
            for f in filenames:
                if f.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(dirpath, f),
                                               root))
    for f in os.listdir(root):
        if f.endswith(".c") and os.path.isfile(os.path.join(root, f)):
            out.append(f)
    return sorted(out)


def functions(lines):
    """(name, first line number, length) of each function definition."""
    out = []
    i = 0
    n = len(lines)
    while i < n:
        m = NAME.match(lines[i])
        if m is None:
            i += 1
            continue
        # The parameter list may span lines; the body opens with "{".
        j = i
        while j < n and lines[j].rstrip("\n") != "{":
            if lines[j].rstrip().endswith(";"):
                break           # a prototype, not a definition
            j += 1
        if j >= n or lines[j].rstrip("\n") != "{":
            i += 1
            continue
        k = j + 1
        while k < n and lines[k].rstrip("\n") != "}":
            k += 1
        out.append((m.group(1), i + 1, k - i + 1))
        i = k + 1
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-fn", type=int, default=80)
    ap.add_argument("--max-file", type=int, default=900)
    ap.add_argument("srcdir", nargs="?", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), ".."))
    a = ap.parse_args()
    over = 0
    for rel in product_files(a.srcdir):
        with open(os.path.join(a.srcdir, rel), encoding="utf-8",
                  errors="replace") as fp:
            lines = fp.readlines()
        if len(lines) > a.max_file:
            print("%s: %d lines (file)" % (rel, len(lines)))
            over += 1
        if not rel.endswith(".c"):
            continue
        for name, line, length in functions(lines):
            if length > a.max_fn:
                print("%s:%d: %s: %d lines" % (rel, line, name, length))
                over += 1
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
