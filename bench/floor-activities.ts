// The floor's only activity: returns at once, so what a floor workflow costs is the engine's own.
export const floorActivities = {
  async noop(step: number): Promise<number> {
    return step;
  },
};
export const FLOOR_TASK_QUEUE = 'bench-floor';
export type FloorActivities = typeof floorActivities;
