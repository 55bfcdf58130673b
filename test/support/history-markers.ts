// Reads a saved history (test/histories/*.json, the CLI's proto-JSON): its workflow type, start time and the
// patch markers it carries (`core_patch` markers, `patch-data` = base64 JSON `{ id, deprecated }`).
import { readFileSync } from 'node:fs';

interface HistoryEvent {
  eventTime?: string;
  workflowExecutionStartedEventAttributes?: { workflowType: { name: string } };
  markerRecordedEventAttributes?: {
    markerName: string;
    details?: Record<string, { payloads: { data: string }[] }>;
  };
}

export interface SavedHistory {
  workflowType: string;
  startTime: Date;
  /** Patch ids of its markers, in the order first recorded. */
  patches: string[];
}

export function readSavedHistory(file: string): SavedHistory {
  const { events } = JSON.parse(readFileSync(file, 'utf8')) as { events: HistoryEvent[] };
  const first = events[0]!;
  const patches = new Set<string>();
  for (const event of events) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') continue;
    const data = marker.details?.['patch-data']?.payloads[0]?.data;
    if (data) patches.add((JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id: string }).id);
  }
  return {
    workflowType: first.workflowExecutionStartedEventAttributes!.workflowType.name,
    startTime: new Date(first.eventTime!),
    patches: [...patches],
  };
}
