/**
 * The real Prometheus peer for tests: the Debian `prometheus` 2.42 binary on its own port, its own config and
 * TSDB in a temp dir, a 1 s scrape interval; stopped by pid, temp dir removed.
 */
export {
  startPrometheus,
  waitForScrape,
  waitForScrapeSince,
  prometheusAvailable,
  PROMETHEUS_INSTALL_HINT,
  type PrometheusProcess,
  type ScrapeTargetSpec,
} from '../../src/demo/prometheus-process';
