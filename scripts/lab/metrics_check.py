#!/usr/bin/env python3
"""Checks a Prometheus text exposition (version 0.0.4) read from stdin, for scripts/lab.sh.

Every line must be a HELP or TYPE comment or a sample `name{label="value",...} value`; a family's HELP and TYPE
come once each, before its samples; TYPE is counter, gauge or histogram; no series appears twice; counters are not
negative. A histogram's samples are NAME_bucket (with an `le` label), NAME_sum and NAME_count; per label set its
buckets do not decrease as `le` grows, the last is `le="+Inf"` and equals NAME_count.
Prints the value of each series named on the command line on one line, space separated (0 when absent; a name
without labels is the sum over all of that name's label sets); exit 1 with the first offending line when the text is
not valid.
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(r"(%s)(\{%s(?:,%s)*\})? (-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|[+-]Inf|NaN)$"
                    % (NAME, LABEL, LABEL))
COMMENT = re.compile(r"# (HELP|TYPE) (%s) (.*)$" % NAME)
LE = re.compile(r'(^\{|,)le="([^"]*)"')
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def family_of(name, typed):
    """The family a sample belongs to: itself, or a histogram's name without _bucket/_sum/_count."""
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and typed.get(name[:-len(suffix)]) == "histogram":
            return name[:-len(suffix)], suffix
    return name, ""


def main():
    helped, typed, series = set(), {}, {}
    buckets = {}   # (family, labels without le) -> [(le, value, line number, line)]
    for number, line in enumerate(sys.stdin.read().splitlines(), 1):
        comment = COMMENT.match(line)
        if comment:
            kind, name, rest = comment.groups()
            seen = helped if kind == "HELP" else typed
            if name in seen:
                return fail(number, line, "%s twice" % kind)
            if kind == "TYPE":
                if rest not in ("counter", "gauge", "histogram"):
                    return fail(number, line, "unknown type")
                typed[name] = rest
            else:
                helped.add(name)
            continue
        sample = SAMPLE.match(line)
        if not sample:
            return fail(number, line, "not a sample")
        name, labels, value = sample.group(1), sample.group(2) or "", float(sample.group(3))
        family, suffix = family_of(name, typed)
        if family not in typed or (typed[family] == "histogram" and not suffix):
            return fail(number, line, "sample before its TYPE")
        if name + labels in series:
            return fail(number, line, "series twice")
        if typed[family] in ("counter", "histogram") and value < 0:
            return fail(number, line, "negative counter")
        if suffix == "_bucket":
            le = LE.search(labels)
            if not le:
                return fail(number, line, "bucket without le")
            try:
                bound = float(le.group(2))
            except ValueError:
                return fail(number, line, "le is not a number")
            rest = LE.sub(lambda m: m.group(1), labels).replace("{,", "{").replace(",}", "}")
            buckets.setdefault((family, "" if rest == "{}" else rest), []).append((bound, value, number, line))
        series[name + labels] = value
    if not series:
        print("no samples", file=sys.stderr)
        return 1
    for (family, labels), seen in buckets.items():
        previous = (-math.inf, 0.0)
        for bound, value, number, line in seen:
            if bound <= previous[0]:
                return fail(number, line, "le not increasing")
            if value < previous[1]:
                return fail(number, line, "bucket below the one before (not cumulative)")
            previous = (bound, value)
        bound, value, number, line = seen[-1]
        if bound != math.inf:
            return fail(number, line, "last bucket is not +Inf")
        if series.get(family + "_count" + labels) != value:
            return fail(number, line, "+Inf bucket differs from %s_count" % family)
    print(" ".join("%d" % wanted_value(series, wanted) for wanted in sys.argv[1:]))
    return 0


def wanted_value(series, wanted):
    if "{" in wanted:
        return series.get(wanted, 0)
    return sum(v for k, v in series.items() if k == wanted or k.startswith(wanted + "{"))


def fail(number, line, why):
    print("line %d: %s: %r" % (number, why, line), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
