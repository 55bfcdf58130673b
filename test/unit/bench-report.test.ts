// `npm run bench` rewrites docs/benchmarks.md; what people wrote below the marker must survive a re-run.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HANDWRITTEN_MARKER, handwritten } from '../../bench/report.js';

describe('bench report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));

  it('keeps the handwritten part of the existing report, from the marker on', () => {
    const file = join(dir, 'benchmarks.md');
    writeFileSync(file, `# Benchmarks\n\ngenerated 1.2 s\n\n${HANDWRITTEN_MARKER}\n\n## Analysis\n\nkept words\n`);
    expect(handwritten(file)).toBe(`${HANDWRITTEN_MARKER}\n\n## Analysis\n\nkept words\n`);
  });

  it('starts the handwritten part with only the marker when there is none yet', () => {
    expect(handwritten(join(dir, 'absent.md'))).toBe(HANDWRITTEN_MARKER);
    const file = join(dir, 'old.md');
    writeFileSync(file, '# Benchmarks\n\nall generated\n');
    expect(handwritten(file)).toBe(HANDWRITTEN_MARKER);
  });
});
