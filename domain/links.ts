// Fills a logs URL template (e.g. a Grafana Explore link) with the service and the release's time window.
export function fillLogsTemplate(
  template: string,
  values: { service: string; environment?: string; from: string | number; to: string | number },
): string {
  const vars: Record<string, string> = {
    service: values.service,
    environment: values.environment ?? '',
    from: String(values.from),
    to: String(values.to),
  };
  return template.replace(/\{(service|environment|from|to)\}/g, (_, key: string) => encodeURIComponent(vars[key]!));
}
