/**
 * Cleanup steps run newest first; one failing step does not stop the others. Running it again (Ctrl-C
 * during the normal teardown) waits for the same run instead of starting a second one.
 */
export class Teardown {
  private readonly steps: Array<{ name: string; run: () => Promise<void> | void }> = [];
  private running: Promise<void> | undefined;

  add(name: string, run: () => Promise<void> | void): void {
    this.steps.push({ name, run });
  }

  run(say: (m: string) => void): Promise<void> {
    this.running ??= this.runSteps(say);
    return this.running;
  }

  private async runSteps(say: (m: string) => void): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      const started = Date.now();
      try {
        await step.run();
        if (Date.now() - started > 3_000) say(`cleanup "${step.name}" took ${Math.round((Date.now() - started) / 1000)} s`);
      } catch (err) {
        say(`cleanup "${step.name}" failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
