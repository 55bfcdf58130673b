// What each target kind (kustomize, helm, container) provides once it has found its place in a file.
import type { ImageRef } from '../types.js';
import type { Field } from './fields.js';

export interface LocatedTarget {
  /** The image the file names now, or null when it names none. */
  current(fallbackRepository?: string): ImageRef | null;
  /** The fields that must change for the file to name `image`. */
  fields(image: ImageRef): Field[];
}
