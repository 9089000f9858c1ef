#!/usr/bin/env python3
"""Parse a Prometheus text exposition (file argument or stdin) with prometheus_client's own parser.

Prints one line per sample, `name{label="value",...} value`, sorted; then a line per family,
`# FAMILY name type`. Exits 2 when the text does not parse, 3 when prometheus_client is missing.
"""
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("prometheus_client is not installed (pip install prometheus-client)", file=sys.stderr)
    sys.exit(3)

text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
try:
    families = list(text_string_to_metric_families(text))
except Exception as error:  # the parser raises ValueError and friends
    print(f"parse error: {error}", file=sys.stderr)
    sys.exit(2)

for family in families:
    print(f"# FAMILY {family.name} {family.type}")
    for sample in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
        print(f"{sample.name}{{{labels}}} {sample.value}")
