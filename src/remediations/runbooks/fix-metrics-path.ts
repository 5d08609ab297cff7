/** R12 — django-prometheus mounted under `metrics`, so it serves `/metricsmetrics` and Prometheus scrapes a 404. */
import type { Runbook } from '../types';

export const fixMetricsPath: Runbook = {
  id: 'fix-metrics-path',
  title: 'Scrape the metrics where they are served',
  ref: 'target-system Remediations R12, §6',
  symptom: 'Metrics answer at `/metricsmetrics` while Prometheus scrapes `/metrics` (404): the django job is down.',
  steps: [
    {
      text: 'Either mount the exporter at the root in `config/urls.py` …',
      code: "path('', include('django_prometheus.urls')),",
    },
    {
      text: '… or point the scrape at the real path in `monitoring/prometheus.yml` (job `django`), then reload Prometheus.',
      code: "metrics_path: '/metricsmetrics'",
    },
  ],
  verify: ['metrics', 'prometheus'],
};
