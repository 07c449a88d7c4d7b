import { describe, expect, it } from "vitest";
import { metricForSeries, PRESENCE_METRICS } from "./metrics.js";
import { readRules, selectorsIn } from "./promql.js";

const names = (expr: string) => selectorsIn(expr).map((s) => s.name);

describe("selectorsIn", () => {
  it("finds the series inside functions, aggregations and grouping clauses", () => {
    expect(
      names('histogram_quantile(0.95, sum by (le) (rate(presence_rtt_ms_bucket{job=~"$job"}[5m])))'),
    ).toEqual(["presence_rtt_ms_bucket"]);
    expect(names("sum(rate(a_total[1m])) by (code) / on (job) group_left () b")).toEqual(["a_total", "b"]);
  });

  it("keeps the label matchers of each selector", () => {
    expect(selectorsIn('presence_connections{job=~"$job", instance=~"$instance"}')).toEqual([
      { name: "presence_connections", matchers: 'job=~"$job", instance=~"$instance"' },
    ]);
    expect(selectorsIn("up > 0")).toEqual([{ name: "up", matchers: "" }]);
  });

  it("ignores durations, numbers, Grafana variables, strings and keywords", () => {
    expect(
      names(
        `label_replace(x offset 5m, "dst", "$1", "src", "(.*)") > bool 1e3 and y[$__rate_interval] unless \${z}`,
      ),
    ).toEqual(["x", "y"]);
    expect(names("topk(5, sum without (instance) (rate(c_total[5m])))")).toEqual(["c_total"]);
  });

  it("does not mistake a name inside a label value for a series", () => {
    expect(names('m{code="presence_fake", le="+Inf"}')).toEqual(["m"]);
  });
});

describe("metricForSeries", () => {
  it("maps a histogram's bucket, sum and count series to the histogram", () => {
    for (const suffix of ["", "_bucket", "_sum", "_count"]) {
      expect(metricForSeries(`presence_rtt_ms${suffix}`, PRESENCE_METRICS)?.name).toBe("presence_rtt_ms");
    }
  });

  it("gives nothing for unknown names and suffixed non-histograms", () => {
    expect(metricForSeries("presence_connections_count", PRESENCE_METRICS)).toBeUndefined();
    expect(metricForSeries("presence_rtt", PRESENCE_METRICS)).toBeUndefined();
  });
});

describe("readRules", () => {
  it("reads one-line and block expressions, names and runbook urls", () => {
    const yaml = [
      "groups:",
      "  - name: g",
      "    rules:",
      "      - record: job:a:rate5m",
      "        expr: sum by (job) (rate(a_total[5m]))",
      "      - alert: Big",
      "        expr: |",
      "          b",
      "            > 3",
      "        for: 1m",
      "        annotations:",
      '          runbook_url: "docs/OPERATIONS.md#alerts-and-runbooks"',
      "      - alert: 'Quoted'",
      "        expr: >-",
      "          c",
      "          > 1",
    ].join("\n");
    expect(readRules(yaml)).toEqual([
      {
        kind: "record",
        name: "job:a:rate5m",
        expr: "sum by (job) (rate(a_total[5m]))",
        runbookUrl: undefined,
      },
      { kind: "alert", name: "Big", expr: "b\n> 3", runbookUrl: "docs/OPERATIONS.md#alerts-and-runbooks" },
      { kind: "alert", name: "Quoted", expr: "c > 1", runbookUrl: undefined },
    ]);
  });
});
