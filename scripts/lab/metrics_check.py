#!/usr/bin/env python3
"""Checks a Prometheus text exposition (version 0.0.4) read from stdin, for scripts/lab.sh.

Every line must be a HELP or TYPE comment or a sample `name{label="value",...} value`; a family's HELP and TYPE
come once each, before its samples; TYPE is counter or gauge; no series appears twice; counters are not negative.
Prints the value of each series named on the command line (0 when absent) on one line, space separated; exit 1 with
the first offending line when the text is not valid.
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(r"(%s)(\{%s(?:,%s)*\})? (-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)$" % (NAME, LABEL, LABEL))
COMMENT = re.compile(r"# (HELP|TYPE) (%s) (.*)$" % NAME)


def main():
    helped, typed, series = set(), {}, {}
    for number, line in enumerate(sys.stdin.read().splitlines(), 1):
        comment = COMMENT.match(line)
        if comment:
            kind, name, rest = comment.groups()
            seen = helped if kind == "HELP" else typed
            if name in seen:
                return fail(number, line, "%s twice" % kind)
            if kind == "TYPE":
                if rest not in ("counter", "gauge"):
                    return fail(number, line, "unknown type")
                typed[name] = rest
            else:
                helped.add(name)
            continue
        sample = SAMPLE.match(line)
        if not sample:
            return fail(number, line, "not a sample")
        name, labels, value = sample.group(1), sample.group(2) or "", float(sample.group(3))
        if name not in typed:
            return fail(number, line, "sample before its TYPE")
        if name + labels in series:
            return fail(number, line, "series twice")
        if typed[name] == "counter" and value < 0:
            return fail(number, line, "negative counter")
        series[name + labels] = value
    if not series:
        print("no samples", file=sys.stderr)
        return 1
    print(" ".join("%d" % series.get(wanted, 0) for wanted in sys.argv[1:]))
    return 0


def fail(number, line, why):
    print("line %d: %s: %r" % (number, why, line), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
