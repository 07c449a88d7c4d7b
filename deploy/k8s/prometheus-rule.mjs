#!/usr/bin/env node
// Writes components/monitoring/prometheus-rule.yaml from deploy/prometheus/alerts.yml,
// the one source of the rules: its groups, comments and all, indented under
// `spec:`. manifests.test.ts fails when the two differ.
//   node deploy/k8s/prometheus-rule.mjs          # rewrite the file
//   node deploy/k8s/prometheus-rule.mjs --stdout # print it
import { readFileSync, writeFileSync } from "node:fs";

const source = new URL("../prometheus/alerts.yml", import.meta.url);
const target = new URL("components/monitoring/prometheus-rule.yaml", import.meta.url);

const alerts = readFileSync(source, "utf8");
const groups = alerts.slice(alerts.search(/^groups:/m));
const header = `# GENERATED from deploy/prometheus/alerts.yml by deploy/k8s/prometheus-rule.mjs: edit
# alerts.yml and run \`node deploy/k8s/prometheus-rule.mjs\`, never this file.
# Your Prometheus must select it: kube-prometheus-stack's selects PrometheusRules
# labelled \`release: <its release name>\` unless ruleSelectorNilUsesHelmValues is false.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: collabblocks
spec:
`;
const text = header + groups.replace(/^(?=.)/gm, "  ");

if (process.argv.includes("--stdout")) process.stdout.write(text);
else writeFileSync(target, text);
