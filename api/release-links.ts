// Links to a release in the Temporal UI and in Runway's API, for messages people read.
import type { RunwayConfig } from '../config/schema.js';

export function releaseLinks(config: RunwayConfig, publicUrl: string, releaseId: string): Record<string, string> {
  const links: Record<string, string> = {
    api: `${publicUrl.replace(/\/+$/, '')}/api/releases/${encodeURIComponent(releaseId)}`,
  };
  const ui = config.temporal.uiUrl;
  if (ui) {
    links.temporal = `${ui.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(releaseId)}`;
  }
  return links;
}
