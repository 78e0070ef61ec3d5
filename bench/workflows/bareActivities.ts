/** The bare journey's one activity: no I/O, returns at once. Its cost is Temporal's alone. */
export function createBareActivities() {
  return {
    async step(_name: string): Promise<void> {
      // nothing: the point is the scheduling, dispatch and completion round trip
    },
    /** The read-model publish, run as a local activity like the real one: nothing but its marker. */
    async publish(_seq: number): Promise<void> {
      // nothing: what is measured is the local activity's round trip inside the workflow task
    },
  };
}
export type BareActivities = ReturnType<typeof createBareActivities>;
