/** The ops endpoints' port in Slack modes when neither `telemetry.port` nor `--metrics-port` sets one. */
export const DEFAULT_METRICS_PORT = 9464;
