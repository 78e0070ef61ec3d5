/** The bare journey's one activity: no I/O, returns at once. Its cost is Temporal's alone. */
export function createBareActivities() {
  return {
    async step(_name: string): Promise<void> {
      // nothing: the point is the scheduling, dispatch and completion round trip
    },
  };
}
export type BareActivities = ReturnType<typeof createBareActivities>;
